def migrate(cr, version):
    """Warnings' activities inserted in bulk for a user without a time zone stored the text 'False'
    as the activity's time zone, which PostgreSQL refuses in the activity filters' AT TIME ZONE."""
    cr.execute(
        """UPDATE mail_activity a
              SET user_tz = p.tz
             FROM res_users u
             JOIN res_partner p ON p.id = u.partner_id
            WHERE a.user_tz = 'False' AND u.id = a.user_id"""
    )
    cr.execute("UPDATE mail_activity SET user_tz = NULL WHERE user_tz = 'False'")
