# Copyright (c) mmvl contributors. All rights reserved.
