from . import models, report, wizard
from .hooks import pre_init_hook
