"""What the NRD shell stores: reference sets and the installation's choice, protocol mappings,
per-device settings (perimeter), evaluations as frozen snapshots with their corrective actions,
each change written to the audit log (:mod:`kerma.web.audit`).

Rules enforced here, in the model layer (so the admin, the CLI, the pages and a shell session all
obey them):

- a **signed** evaluation is never edited: ``save()`` raises :class:`FrozenEvaluationError`;
  it cannot be deleted for :data:`RETENTION_YEARS` years after its sign-off (``delete()`` raises);
  it is only superseded by a new version (:meth:`Evaluation.supersede`) that links to it;
- a signed evaluation's corrective actions keep their text, owner and due date; only their
  follow-up (done, when, by whom) is recorded afterwards; none is added or removed;
- an evaluation above its NRD is signed only with a justification or corrective actions (owner
  and due date); it is signed only with the physicist's analysis;
- every create, update and delete of these models writes an audit entry (who, when, the row
  before and after), through :class:`~kerma.web.audit.models.AuditedModel`;
- a loaded reference set is never changed (a new import makes a new version).

Querysets of audited models update and delete row by row, so the same checks and the audit apply.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kerma.notices import Notice, notice
from kerma.nrd.mapping import MappingRule, MappingRuleError, MatchKind, ProtocolMapper
from kerma.reference.loader import parse_reference_csv
from kerma.reference.tables import ReferenceSet
from kerma.reference.vocabulary import Family, Population
from kerma.web.audit.log import changed, row_snapshot
from kerma.web.audit.models import AuditedModel, AuditEntry
from kerma.web.dose.models import Device

RETENTION_YEARS = 5

FAMILY_CHOICES = [(f.value, f.value.replace("_", " ")) for f in Family]
POPULATION_CHOICES = [
    (Population.ADULT.value, _("adult")),
    (Population.PAEDIATRIC.value, _("paediatric")),
]


class FrozenEvaluationError(PermissionDenied):
    """A change refused because an evaluation is signed (and within its retention period)."""


# ---- reference sets ----------------------------------------------------------------------


class StoredReferenceSet(AuditedModel):
    """A reference set a physicist loaded (``kerma reference import``), kept with its file.

    The CSV (and optional TOML metadata) are stored as they were read and validated; a set is
    never changed once loaded — importing a file under the same name makes the next version.
    """

    audit_type = "reference_set"

    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    title = models.TextField(blank=True)
    status = models.CharField(max_length=32, blank=True)
    citation = models.TextField(blank=True, help_text=_("The text the values were typed from"))
    filename = models.CharField(max_length=255, blank=True)
    csv_text = models.TextField()
    metadata_text = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64)
    row_count = models.PositiveIntegerField(default=0)
    value_count = models.PositiveIntegerField(default=0)
    loaded_by = models.CharField(max_length=150)
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="nrd_refset_name_version")
        ]
        verbose_name = _("loaded reference set")
        verbose_name_plural = _("loaded reference sets")

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def version_label(self) -> str:
        """``v2 sha256:0123456789ab``: the version and the start of the content hash."""
        return f"v{self.version} sha256:{self.sha256[:12]}"

    def audit_data(self) -> dict[str, Any]:
        """The row without the file contents (kept, unchangeable, in the row itself)."""
        data = row_snapshot(self)
        data.pop("csv_text", None)
        data.pop("metadata_text", None)
        return data

    def load(self) -> ReferenceSet:
        """Return the validated set (raises ReferenceSetError if it no longer validates)."""
        metadata = tomllib.loads(self.metadata_text) if self.metadata_text else None
        return parse_reference_csv(
            self.csv_text,
            name=self.name,
            origin=self.filename or f"{self.name}.csv",
            metadata=metadata,
        )

    def check_save(self, old: Any) -> None:
        if old is not None:
            raise PermissionDenied(
                f"reference set {self} is never changed once loaded: import a new version"
            )

    def check_delete(self) -> None:
        used = Evaluation.objects.filter(reference_set__contains=self.name).exists()
        chosen = any(
            self.name == c.set_name or self.name in c.supplements
            for c in ReferenceChoice.objects.all()
        )
        if used or chosen:
            raise PermissionDenied(
                f"reference set {self.name} is used by "
                + ("evaluations" if used else "the installation's choice")
                + ": it is kept"
            )


class ReferenceChoice(AuditedModel):
    """Which reference set applies: for one family of acts, or (``family`` blank) for all others.

    ``set_name`` is a shipped set (``fr-2019-DC-0667``…) or a loaded one (its latest version);
    ``supplements`` complete it (a physicist's missing values), in order.
    """

    audit_type = "reference_choice"

    family = models.CharField(max_length=32, choices=FAMILY_CHOICES, blank=True, unique=True)
    set_name = models.CharField(max_length=200)
    supplements = models.JSONField(default=list, blank=True)
    chosen_by = models.CharField(max_length=150)
    chosen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["family"]
        verbose_name = _("reference set choice")
        verbose_name_plural = _("reference set choices")

    def __str__(self) -> str:
        extra = f" + {', '.join(self.supplements)}" if self.supplements else ""
        return f"{self.family or 'all families'}: {self.set_name}{extra}"


# ---- devices and protocol mappings -----------------------------------------------------------


class DeviceSettings(AuditedModel):
    """The NRD settings of a device: in the RAN's perimeter, family of acts, imaging unit.

    ``family`` blank: derived from the device's category. ``unit`` blank: the device's
    institution and department. ``first_year``: the year it entered the perimeter (5-year rule).
    """

    audit_type = "device_settings"

    device = models.OneToOneField(
        Device, on_delete=models.CASCADE, primary_key=True, related_name="nrd_settings"
    )
    in_perimeter = models.BooleanField(default=True)
    family = models.CharField(max_length=32, choices=FAMILY_CHOICES, blank=True)
    unit = models.CharField(max_length=200, blank=True)
    first_year = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("device NRD settings")
        verbose_name_plural = _("device NRD settings")

    def __str__(self) -> str:
        return f"{self.device}: {'in' if self.in_perimeter else 'outside'} the perimeter"


class ProtocolMapping(AuditedModel):
    """A user's rule: protocol/procedure names matching ``pattern`` on ``device`` → act.

    ``device`` None: every device. Matching (:class:`kerma.nrd.mapping.ProtocolMapper`) tries
    rules by ascending ``priority``, a device's own rules first at equal priority.
    """

    audit_type = "mapping"

    device = models.ForeignKey(
        Device,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="nrd_mappings",
    )
    kind = models.CharField(
        max_length=16,
        choices=[(k.value, k.value) for k in MatchKind],
        default=MatchKind.CONTAINS.value,
    )
    pattern = models.TextField()
    act_code = models.CharField(max_length=64)
    priority = models.IntegerField(default=100)
    case_sensitive = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("protocol mapping")
        verbose_name_plural = _("protocol mappings")

    def __str__(self) -> str:
        return f"{self.kind} {self.pattern!r} → {self.act_code}"

    def to_rule(self) -> MappingRule:
        """Return the pure :class:`MappingRule` (device id as text, as the records carry it)."""
        return MappingRule(
            pattern=self.pattern,
            act_code=self.act_code,
            kind=MatchKind(self.kind),
            device_id=None if self.device_id is None else str(self.device_id),
            priority=self.priority,
            case_sensitive=self.case_sensitive,
            rule_id=self.pk,
        )

    def check_save(self, old: Any) -> None:
        if not self.act_code.strip():
            raise ValidationError({"act_code": "a mapping needs an act code"})
        try:
            ProtocolMapper([self.to_rule()])
        except MappingRuleError as exc:
            raise ValidationError({"pattern": str(exc)}) from exc

    def clean(self) -> None:
        """Validate the pattern (a regular expression must compile)."""
        self.check_save(None)


# ---- evaluations ------------------------------------------------------------------------------


def add_years(moment: datetime, years: int) -> datetime:
    """Return ``moment`` plus ``years`` calendar years (29 February → 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


class Evaluation(AuditedModel):
    """A frozen snapshot of an NRD evaluation of one device, act and population over a period.

    ``selected`` (in sampling order) holds, for each exam, ``study_uid``, ``event_uid`` (the chosen
    acquisition), ``values`` keyed by quantity in the results' units, the date and the patient and
    acquisition details exported to IRSN; ``excluded`` each exam left out with its reason;
    ``results`` one entry per quantity (median, VGD, NRD, status, reference row and source).
    The reference set is recorded by name, version and status. ``overrides`` (study UID → event
    UID) and ``excluded_by_user`` are the physicist's choices the sample was drawn with.
    """

    audit_type = "evaluation"

    CONTENT_FIELDS: ClassVar[tuple[str, ...]] = (
        "device",
        "device_label",
        "act_code",
        "act_label",
        "family",
        "population",
        "category_code",
        "category",
        "period_from",
        "period_to",
        "reference_set",
        "reference_version",
        "reference_status",
        "required_n",
        "n_selected",
        "complete",
        "selected",
        "excluded",
        "unmapped",
        "results",
        "messages",
        "overrides",
        "excluded_by_user",
        "mapping_rules",
        "exceeds_nrd",
        "analysis",
        "justification",
    )

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="nrd_evaluations")
    device_label = models.TextField(blank=True)
    act_code = models.CharField(max_length=64, db_index=True)
    act_label = models.TextField(blank=True)
    family = models.CharField(max_length=32, choices=FAMILY_CHOICES)
    population = models.CharField(max_length=16, choices=POPULATION_CHOICES)
    category_code = models.CharField(max_length=32, blank=True)
    category = models.JSONField(null=True, blank=True)
    period_from = models.DateField()
    period_to = models.DateField()
    reference_set = models.CharField(max_length=400)
    reference_version = models.CharField(max_length=200, blank=True)
    reference_status = models.CharField(max_length=32, blank=True)
    required_n = models.PositiveIntegerField()
    n_selected = models.PositiveIntegerField(default=0)
    complete = models.BooleanField(default=False)
    selected = models.JSONField(default=list, blank=True)
    excluded = models.JSONField(default=list, blank=True)
    unmapped = models.JSONField(default=list, blank=True)
    results = models.JSONField(default=list, blank=True)
    messages = models.JSONField(default=list, blank=True)
    # The same messages as codes with parameters (kerma.notices), worded in the reader's
    # language; empty for evaluations stored before notices, which show ``messages``.
    notices = models.JSONField(default=list, blank=True)
    overrides = models.JSONField(default=dict, blank=True)
    excluded_by_user = models.JSONField(default=list, blank=True)
    mapping_rules = models.JSONField(default=list, blank=True)
    # Where the sample comes from: the dose archive, or rows typed/imported by hand (units
    # without a dose archive); a manual entry keeps its raw rows and is never re-run from the
    # archive.
    source = models.CharField(
        max_length=16,
        choices=[("archive", _("dose archive")), ("manual", _("manual entry"))],
        default="archive",
    )
    manual_entry = models.JSONField(null=True, blank=True)
    exceeds_nrd = models.BooleanField(default=False)
    analysis = models.TextField(blank=True, help_text=_("The physicist's analysis"))
    justification = models.TextField(
        blank=True, help_text=_("Why an exceedance is justified (complex cases, clinical needs)")
    )
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    signed_by = models.CharField(max_length=150, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
        help_text=_("The signed evaluation this version supersedes"),
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["device", "act_code", "population"])]
        permissions = [("sign_evaluation", "Can sign off NRD evaluations (RAN)")]
        verbose_name = _("NRD evaluation")
        verbose_name_plural = _("NRD evaluations")

    def __str__(self) -> str:
        return (
            f"#{self.pk} {self.act_code} {self.population} on {self.device_label or self.device_id}"
            f" ({self.period_from}–{self.period_to}) v{self.version}"
        )

    # -- state ---------------------------------------------------------------------------
    @property
    def is_signed(self) -> bool:
        """True once the RAN signed it off."""
        return self.signed_at is not None

    @property
    def retained_until(self) -> datetime | None:
        """When the retention period ends (sign-off + 5 years), None before sign-off."""
        return None if self.signed_at is None else add_years(self.signed_at, RETENTION_YEARS)

    def is_locked(self, now: datetime | None = None) -> bool:
        """True while a signed evaluation is within its retention period (no delete)."""
        until = self.retained_until
        return until is not None and (now or timezone.now()) < until

    @property
    def superseded_by(self) -> Evaluation | None:
        """The next version, if any."""
        try:
            return self.next_version
        except Evaluation.DoesNotExist:
            return None

    @property
    def exceedances(self) -> list[dict[str, Any]]:
        """The results above their NRD (indicative quantities left out)."""
        return [
            r for r in self.results if r.get("status") == "above_nrd" and not r.get("indicative")
        ]

    def history(self) -> list[Evaluation]:
        """Return every version of this evaluation, oldest first."""
        first = self
        while first.previous_id is not None:
            first = Evaluation.objects.get(pk=first.previous_id)
        chain = [first]
        while (nxt := chain[-1].superseded_by) is not None:
            chain.append(nxt)
        return chain

    # -- rules ---------------------------------------------------------------------------
    def sign_off_notices(self, actions: Iterable[CorrectiveAction] | None = None) -> list[Notice]:
        """Return why the evaluation cannot be signed off yet, as notices (empty when it can)."""
        problems: list[Notice] = []
        if not self.analysis.strip():
            problems.append(notice("nrd.problem.analysis_missing"))
        if self.exceeds_nrd:
            if actions is None:
                actions = list(self.actions.all()) if self.pk else []
            planned = [a for a in actions if a.owner.strip() and a.due_date]
            if not self.justification.strip() and not planned:
                quantities = [r["quantity"] for r in self.exceedances]
                problems.append(notice("nrd.problem.exceeds_without_answer", quantities=quantities))
        return problems

    def sign_off_problems(self, actions: Iterable[CorrectiveAction] | None = None) -> list[str]:
        """Return why the evaluation cannot be signed off yet, in English (empty when it can)."""
        return [n.text("en") for n in self.sign_off_notices(actions)]

    def check_save(self, old: Any) -> None:
        if old is not None and old.signed_at is not None:
            raise FrozenEvaluationError(
                f"evaluation #{self.pk} was signed off on {old.signed_at:%Y-%m-%d} by "
                f"{old.signed_by}: it cannot be changed; supersede it with a new version"
            )
        if self.signed_at is not None:
            problems = self.sign_off_problems()
            if problems:
                raise ValidationError(problems)
            if not self.signed_by.strip():
                raise ValidationError("a sign-off names who signed")
        if old is None and self.previous_id is not None:
            previous = Evaluation._base_manager.get(pk=self.previous_id)
            if previous.signed_at is None:
                raise ValidationError(
                    f"evaluation #{previous.pk} is not signed: edit it instead of superseding it"
                )

    def check_delete(self) -> None:
        stored = self.stored()
        if stored is not None and stored.is_locked():
            raise FrozenEvaluationError(
                f"evaluation #{self.pk} was signed off on {stored.signed_at:%Y-%m-%d}: it is "
                f"kept until {stored.retained_until:%Y-%m-%d} and cannot be deleted"
            )

    # -- steps ---------------------------------------------------------------------------
    def sign(self, by: str) -> None:
        """Sign the evaluation off as the RAN ``by``; ValidationError says what is missing."""
        if self.is_signed:
            raise FrozenEvaluationError(f"evaluation #{self.pk} is already signed")
        problems = self.sign_off_problems()
        if problems:
            raise ValidationError(problems)
        self.signed_by = by
        self.signed_at = timezone.now()
        self.save(actor=by, audit_action="sign")

    def supersede(self, by: str, *, reason: str = "") -> Evaluation:
        """Return a new draft version of this signed evaluation (its content and actions copied).

        This evaluation stays as it is, signed; the new one links to it (``previous``) and is
        edited, re-run and signed in its turn. Raises ValidationError for a draft or an
        evaluation already superseded.
        """
        if not self.is_signed:
            raise ValidationError("only a signed evaluation is superseded: edit the draft")
        if self.superseded_by is not None:
            raise ValidationError(
                f"evaluation #{self.pk} is already superseded by #{self.superseded_by.pk}"
            )
        with transaction.atomic():
            new = Evaluation(
                **{f: getattr(self, f) for f in self.CONTENT_FIELDS},
                previous=self,
                version=self.version + 1,
                created_by=by,
            )
            new.save(actor=by, audit_action="supersede")
            for action in self.actions.all():
                CorrectiveAction(
                    evaluation=new,
                    description=action.description,
                    owner=action.owner,
                    due_date=action.due_date,
                    done=action.done,
                    done_at=action.done_at,
                    done_by=action.done_by,
                    created_by=by,
                ).save(actor=by)
            AuditEntry.record(
                self,
                "superseded",
                actor=by,
                after={"next_version": new.pk},
                summary=reason,
            )
        return new


class CorrectiveAction(AuditedModel):
    """A corrective action for an exceedance: what, who owns it, by when, and its follow-up."""

    audit_type = "corrective_action"
    FOLLOW_UP_FIELDS: ClassVar[frozenset[str]] = frozenset({"done", "done_at", "done_by"})

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    owner = models.CharField(max_length=150)
    due_date = models.DateField()
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.CharField(max_length=150, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")

    def __str__(self) -> str:
        return f"{self.description[:60]} ({self.owner}, {self.due_date})"

    @property
    def overdue(self) -> bool:
        """True when not done and the due date has passed."""
        return not self.done and self.due_date < timezone.localdate()

    def _evaluation_signed(self) -> bool:
        return Evaluation._base_manager.filter(
            pk=self.evaluation_id, signed_at__isnull=False
        ).exists()

    def check_save(self, old: Any) -> None:
        if not self._evaluation_signed():
            return
        if old is None:
            raise FrozenEvaluationError(
                f"evaluation #{self.evaluation_id} is signed: no action is added; supersede it"
            )
        before, after = changed(old.audit_data(), self.audit_data())
        frozen = sorted(set(after) - self.FOLLOW_UP_FIELDS)
        if frozen:
            raise FrozenEvaluationError(
                f"evaluation #{self.evaluation_id} is signed: only the follow-up of its actions "
                f"(done, when, by whom) is recorded, not {', '.join(frozen)}"
            )

    def check_delete(self) -> None:
        if self._evaluation_signed():
            raise FrozenEvaluationError(
                f"evaluation #{self.evaluation_id} is signed: its actions are kept"
            )

    def mark_done(self, by: str, done: bool = True) -> None:
        """Record that the action is done (or not) — allowed after sign-off."""
        self.done = done
        self.done_at = timezone.now() if done else None
        self.done_by = by if done else ""
        self.save(actor=by, audit_action="done" if done else "undone")
