from . import otc_demo_data
