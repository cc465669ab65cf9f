from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from marketplace import roles

        # Groups need every app's permissions, which exist only after all migrations ran.
        post_migrate.connect(roles.sync_role_groups, dispatch_uid="marketplace.sync_roles")

        from marketplace import files

        # Issue 8 §4: each app's private_files.py registers its file fields (authenticated URLs).
        files.autodiscover()

        # Issue 8 §3: idle sessions are stamped at sign-in (no session write on the next page).
        from django.contrib.auth.signals import user_logged_in

        from marketplace.security import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="marketplace.session_stamp")

        # Issue 8 §3: the password sign-in marks staff with a second factor as pending.
        import marketplace.two_factor  # noqa: F401

        # Issue 9 §4: an autocomplete field given a non-ID re-renders its error, not a 500.
        from marketplace import admin_widgets

        admin_widgets.install()
        from marketplace import axes_admin

        axes_admin.install()
