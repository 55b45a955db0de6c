from .example_convnet import ExampleConvNet

__all__ = ['ExampleConvNet']
