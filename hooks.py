def post_init_hook(env):
    """Existing companies get the default grading currency (USD): make sure it is active."""
    env["res.company"].search([])._tiering_activate_currency()
