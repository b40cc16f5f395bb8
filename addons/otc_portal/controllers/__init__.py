from . import portal
from . import returns
