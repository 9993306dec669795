from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kerma.web.accounts"
    label = "accounts"
    verbose_name = _("Units, roles and access")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from kerma.web.accounts import roles, signals  # noqa: F401 - connects the audit signals

        post_migrate.connect(roles.ensure_roles_after_migrate, sender=self)
