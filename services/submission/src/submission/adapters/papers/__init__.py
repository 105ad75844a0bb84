"""The official papers of a dossier (Circular 03/2025/TT-VPCP, Phụ lục I) as PDFs in Vietnamese (DejaVu
Sans, embedded), each with a QR code to the dossier's public tracking page. Drawn on request from the
dossier: nothing to store, and always what the dossier says.

- ``common``: what every paper has (header, "Mẫu số", title, legal basis, applicant, procedure and its
  processing time, signature blocks), written once;
- ``f01_receipt`` … ``f06_control``: one module a form, each with ``inputs`` (the part of a stored
  dossier it shows) and ``render`` (that part as a PDF);
- ``pool``: ``Receipts``, which draws them in worker processes and keeps them per revision;
- ``register``: form 07, an agency's register of dossiers, as a spreadsheet."""

from __future__ import annotations

from types import ModuleType

from . import f01_receipt, f02_supplement, f03_refusal, f04_apology, f05_stop, f06_control

FORMS: dict[str, ModuleType] = {
    m.NUMBER: m for m in (f01_receipt, f02_supplement, f03_refusal, f04_apology, f05_stop, f06_control)
}
