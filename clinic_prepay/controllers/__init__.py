from . import payment, portal, post_processing
