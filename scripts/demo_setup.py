# Run once in `odoo shell` when the demo database is created: the demo logins.
# (Demo *records* are in clinic_prepay/demo; these are users with passwords.)
env = env


def user(login, name, groups):
    users = env["res.users"].with_context(no_reset_password=True)
    existing = users.search([("login", "=", login)])
    vals = {"name": name, "login": login, "password": login, "groups_id": [(6, 0, groups.ids)]}
    return existing.write(vals) if existing else users.create(vals)


ref = env.ref
env.ref("base.user_admin").password = "admin"
user("frontdesk", "Fiona Front Desk", ref("clinic_prepay.group_clinic_user"))
user("manager", "Martin Manager", ref("clinic_prepay.group_clinic_manager"))
user("accountant", "Alice Accountant", ref("account.group_account_manager"))
patient = user("patient", "Patricia Patient", ref("base.group_portal"))
env.cr.commit()
print("demo logins ready")
