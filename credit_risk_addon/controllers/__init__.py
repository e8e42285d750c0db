from . import portal
from . import collections
