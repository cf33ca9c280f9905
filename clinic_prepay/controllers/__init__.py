from . import payment, portal
