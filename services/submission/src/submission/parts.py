"""The submission service's parts, built once in ``create_app`` and handed to its routes (``dvckit.deps``);
each is also on ``app.state`` by its name."""

from __future__ import annotations

from dataclasses import dataclass

from dvckit.idempotency import Idempotency
from dvckit.s3 import ObjectStore

from .adapters.receipt import Receipts
from .config import Settings
from .service.agencies import AgencyDirectory
from .service.attachments import Attachments
from .service.calendar import CalendarBook
from .service.captchas import Captchas
from .service.dossiers import Dossiers
from .service.papers import Papers
from .service.payments import Payments
from .service.prefill import Prefills
from .service.procedures import ProcedureCache
from .service.rights import Rights
from .service.signing import Signing
from .service.uploads import Uploads
from .service.workflow import Workflow


@dataclass(frozen=True)
class Parts:
    settings: Settings
    store: ObjectStore
    procedures: ProcedureCache
    prefills: Prefills
    captchas: Captchas
    dossiers: Dossiers
    attachments: Attachments
    workflow: Workflow
    receipts: Receipts
    papers: Papers
    idempotency: Idempotency
    calendar: CalendarBook
    agencies: AgencyDirectory
    signing: Signing
    payments: Payments
    rights: Rights
    uploads: Uploads  # resumable (tus) uploads
