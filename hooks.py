def post_init_hook(env):
    """Existing companies get the default grading currency (USD), made active, and service tiers."""
    companies = env["res.company"].search([])
    companies._tiering_activate_currency()
    companies._tiering_create_default_tiers()
    companies._tiering_assign_tiers()
