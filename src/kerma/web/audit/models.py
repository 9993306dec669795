"""The audit log: one append-only table of every change, and the base of audited models.

- every create, update and delete of an :class:`AuditedModel` writes an :class:`AuditEntry`
  (who, when, the row before and after — for an update only the columns that changed), in the
  same transaction; audit entries themselves are never changed or deleted;
- querysets of audited models update and delete row by row, so the checks of each model
  (:meth:`AuditedModel.check_save`, :meth:`AuditedModel.check_delete`) and the audit apply.

The table is the one the NRD app created (``nrd_auditentry``): the model moved here without
moving a row (migrations ``audit.0001_initial`` and ``nrd.0003_move_auditentry_to_audit``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kerma.notices import Notice, UnknownNoticeCode
from kerma.web.audit.log import changed, current_actor, row_snapshot


class AuditEntryQuerySet(models.QuerySet):
    """Audit entries are append-only: no bulk update or delete."""

    def update(self, **kwargs: Any) -> int:
        raise PermissionDenied("audit entries are never changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("audit entries are never deleted")


class AuditEntry(models.Model):
    """One change: who, when, what (type and id of the row), the row before and after.

    ``action`` is ``create``, ``update``, ``delete`` or a named step (``sign``, ``supersede``,
    ``superseded``, ``import``, ``use``, ``rerun``, ``done``). ``before``/``after`` are the row's
    columns as JSON (for an update, only those that changed); None when the row did not exist.
    ``notice`` is, when the change has one, a core finding (``{"code", "params"}`` of a
    :class:`kerma.notices.Notice`) that the history words in the reader's language.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=32)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    summary = models.TextField(blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    notice = models.JSONField(null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        db_table = "nrd_auditentry"  # created by the NRD app, where the log began
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="nrd_auditen_object__0d6ba4_idx")
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M}"
        return f"{when} {self.actor} {self.action} {self.object_type} #{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Write a new entry; an existing entry is never changed."""
        if not self._state.adding:
            raise PermissionDenied("audit entries are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Refused: audit entries are never deleted."""
        raise PermissionDenied("audit entries are never deleted")

    def worded(self, language: str = "en") -> str:
        """Return the entry's notice worded in ``language`` (``en`` or ``fr``), else its summary.

        A notice whose code is no longer declared falls back on the summary written with it.
        """
        if not self.notice:
            return self.summary
        try:
            return Notice.from_dict(self.notice).text(language)
        except UnknownNoticeCode:
            return self.summary

    @classmethod
    def record(
        cls,
        obj: models.Model | tuple[str, Any],
        action: str,
        *,
        actor: str | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        summary: str = "",
        notice: Notice | None = None,
    ) -> AuditEntry:
        """Write and return an entry about ``obj`` (a model instance, or ``(object_type,
        object_id)``); with a ``notice`` and no ``summary``, the summary is its English text."""
        if isinstance(obj, tuple):
            object_type, object_id = obj
        else:
            object_type, object_id = getattr(obj, "audit_type", obj._meta.model_name), obj.pk
        if notice is not None and not summary:
            summary = notice.text("en")
        return cls.objects.create(
            actor=actor or current_actor(),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            summary=summary,
            before=before,
            after=after,
            notice={"code": notice.code, "params": dict(notice.params)} if notice else None,
        )


class AuditedQuerySet(models.QuerySet):
    """Updates and deletes go row by row through ``save()``/``delete()``: checked and audited."""

    def update(self, **kwargs: Any) -> int:
        count = 0
        with transaction.atomic(using=self.db):
            for obj in self:
                for name, value in kwargs.items():
                    setattr(obj, name, value)
                obj.save()
                count += 1
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        total = 0
        per_model: dict[str, int] = {}
        with transaction.atomic(using=self.db):
            for obj in self:
                n, detail = obj.delete()
                total += n
                for label, k in detail.items():
                    per_model[label] = per_model.get(label, 0) + k
        return total, per_model

    def bulk_create(self, objs: Iterable[models.Model], *args: Any, **kwargs: Any) -> list:
        created = []
        with transaction.atomic(using=self.db):
            for obj in objs:
                obj.save()
                created.append(obj)
        return created

    def bulk_update(self, objs: Iterable[models.Model], fields: Any, *args: Any, **kw: Any) -> int:
        count = 0
        with transaction.atomic(using=self.db):
            for obj in objs:
                obj.save()
                count += 1
        return count


class AuditedModel(models.Model):
    """A model whose every change writes an :class:`AuditEntry` (see the module docstring).

    Subclasses may refuse a change by raising in :meth:`check_save` / :meth:`check_delete`.
    """

    audit_type: ClassVar[str] = ""

    objects = AuditedQuerySet.as_manager()

    class Meta:
        abstract = True

    def audit_data(self) -> dict[str, Any]:
        """Return the row as JSON data for the audit log."""
        return row_snapshot(self)

    def stored(self) -> Any:
        """Return the row as it is in the database (None when not saved yet)."""
        if self._state.adding or self.pk is None:
            return None
        return type(self)._base_manager.filter(pk=self.pk).first()

    def check_save(self, old: Any) -> None:
        """Raise to refuse saving; ``old`` is the stored row (None for a new one)."""

    def check_delete(self) -> None:
        """Raise to refuse deleting."""

    def save(
        self, *args: Any, actor: str | None = None, audit_action: str | None = None, **kwargs: Any
    ) -> None:
        """Save, after :meth:`check_save`, and record the change in the audit log."""
        with transaction.atomic(using=kwargs.get("using")):
            old = self.stored()
            self.check_save(old)
            before = old.audit_data() if old is not None else None
            super().save(*args, **kwargs)
            after = self.audit_data()
            if before is None:
                AuditEntry.record(self, audit_action or "create", actor=actor, after=after)
                return
            b, a = changed(before, after)
            if b or a or audit_action:
                AuditEntry.record(self, audit_action or "update", actor=actor, before=b, after=a)

    def delete(self, *args: Any, actor: str | None = None, **kwargs: Any) -> tuple[int, dict]:
        """Delete, after :meth:`check_delete`, and record the row as it was."""
        with transaction.atomic(using=kwargs.get("using")):
            self.check_delete()
            before = self.audit_data()
            pk = self.pk
            result = super().delete(*args, **kwargs)
            AuditEntry.record((self.audit_type, pk), "delete", actor=actor, before=before)
            return result

