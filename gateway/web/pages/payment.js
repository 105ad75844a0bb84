// Paying fees online (issue 20): a dossier's payment orders as the citizen and the officer see them, the
// citizen's "Thanh toán" (the payment service answers the provider's page; the browser goes there), the
// page the provider sends the browser back to (/thanh-toan/ket-qua), and the officer's lines of a
// payment request. The state shown is always the payment service's: the provider's notification (IPN)
// is the only thing that changes it, never the browser's return.
import { html, useState, useEffect, useRef } from "../lib.js";
import { get, post, downloadFile } from "../api.js";
import { t, useLang, formatMoney, formatDateTime } from "../i18n.js";
import { PageHeading, Loading, ProblemAlert, Alert, Facts, DataTable, Field, useTitle, useAsync, announce, viLang } from "../components.js";

const P = "/payments";
export const OPEN = ["created", "pending"];
const CLOSED_DOSSIER = ["draft", "refused", "withdrawn", "stopped", "returned"];

/** An order's id (the API's `id`; `_id` as stored). */
export const orderId = (o) => (o ? o.id || o._id : "");

/** The list of orders in the answer of `GET /payments/dossiers/{id}` (a list, or {items} / {orders}). */
const ordersOf = (r) => (Array.isArray(r) ? r : (r && (r.items || r.orders)) || []);

/** A dossier's orders, newest first; [] when the payment service knows none (404) or is not there. */
export function useOrders(d, deps = []) {
  const lang = useLang();
  return useAsync(
    () =>
      get(`${P}/dossiers/${encodeURIComponent(d.id)}`).then(
        (r) => ordersOf(r).sort((a, b) => String(b.created_at || "").localeCompare(String(a.created_at || ""))),
        (err) => {
          if (err.status === 404) return [];
          throw err;
        },
      ),
    [d.id, d.rev, d.status, lang, ...deps],
  );
}

/** The lines of the dossier's fee table with an amount: the filing order's lines (their sum is the total). */
export function filingLines(fees) {
  return ((fees && fees.items) || []).filter((f) => Number(f.amount) > 0).map((f) => ({ name: f.name, amount: Number(f.amount) }));
}

const sum = (lines) => (lines || []).reduce((n, l) => n + (Number(l.amount) || 0), 0);

/** Whether the filing fee is still to be paid: the dossier says so (`fee_due_at_filing`), or its fee table. */
export function filingFeeDue(d) {
  if (!d || CLOSED_DOSSIER.includes(d.status) || d.fee_paid_at) return false;
  if (d.fee_due_at_filing === false) return false;
  if (d.fee_due_at_filing === true) return true;
  // An older dossier view: the fee table's total payable online.
  return !!(d.fees && !d.fees.free && Number(d.fees.total) > 0);
}

/** Paying at the counter is allowed unless the dossier says it is not. */
export const counterAllowed = (d) => !d || d.pay_at_counter_allowed !== false;

// An order's state: words and a shape (never colour alone).
const STATE_ICON = { created: "○", pending: "◔", paid: "✓", failed: "✕", expired: "⌛", refunded: "↺", unpaid: "○" };
const STATE_CLASS = { created: "pay-open", unpaid: "pay-open", pending: "pay-pending", paid: "pay-paid", failed: "pay-failed", expired: "pay-failed", refunded: "pay-closed" };

/** "✓ Đã thanh toán": an order's state (or "unpaid": no order yet). */
export function PaymentState({ state, testid = "payment-state" }) {
  const s = state || "unpaid";
  return html`<span class=${`pay-state ${STATE_CLASS[s] || "pay-open"}`} data-testid=${testid} data-state=${s}>
    <span class="pay-icon" aria-hidden="true">${STATE_ICON[s] || "○"}</span>${t(`pay.state.${s}`)}
  </span>`;
}

/** The lines of a payment and their total, in đồng. */
export function PaymentLines({ lines, amount, testid = "payment-lines" }) {
  const rows = (lines || []).filter((l) => l && (l.name || l.amount));
  const total = amount !== undefined && amount !== null ? Number(amount) : sum(rows);
  return html`${rows.length
      ? html`<${DataTable}
          caption=${t("pay.linesCaption")}
          testid=${testid}
          rows=${rows}
          rowProps=${() => ({ "data-testid": "payment-line" })}
          columns=${[
            { label: t("fee.name"), cell: (l) => l.name, vi: true },
            { label: t("pay.amount"), cell: (l) => formatMoney(l.amount), props: () => ({ class: "num" }) },
          ]}
        />`
      : null}
    <p class="fee-total" data-testid="payment-amount"><strong>${t("pay.total")}:</strong> ${formatMoney(total)}</p>`;
}

/** The e-receipt (biên lai điện tử) of a paid order, fetched with the token and saved. */
export function ReceiptButton({ order, code, onError, testid = "payment-receipt" }) {
  const save = async () => {
    if (onError) onError(null);
    try {
      await downloadFile(`${P}/orders/${encodeURIComponent(orderId(order))}/receipt`, `bien-lai-${order.receipt_no || code || orderId(order)}.pdf`);
    } catch (err) {
      if (onError) onError(err);
    }
  };
  return html`<button type="button" class="btn btn-secondary btn-small" onClick=${save} data-testid=${testid}>
    ${t("pay.receipt")}${order.receipt_no ? html`<span class="visually-hidden"> ${order.receipt_no}</span>` : null}
  </button>`;
}

/**
 * Pay: the open order of that purpose (or a new one), then the provider's page. Resolves only when the
 * browser leaves for the provider; throws the API's problem otherwise.
 */
export async function payFor(dossierId, purpose, open) {
  let order = open;
  if (!order) order = await post(`${P}/dossiers/${encodeURIComponent(dossierId)}/orders`, { purpose });
  let answer;
  try {
    answer = await post(`${P}/orders/${encodeURIComponent(orderId(order))}/pay`, {});
  } catch (err) {
    // The open order ran out of time (410): a new one, once.
    if (err.status !== 410 || !open) throw err;
    order = await post(`${P}/dossiers/${encodeURIComponent(dossierId)}/orders`, { purpose });
    answer = await post(`${P}/orders/${encodeURIComponent(orderId(order))}/pay`, {});
  }
  if (!answer || !answer.url) throw new Error(t("pay.noUrl"));
  location.assign(answer.url);
  return new Promise(() => {}); // the page is leaving
}

const expiredByTime = (o) => o && o.expires_at && new Date(o.expires_at).getTime() < Date.now();
/** The order of that purpose still open (created or pending, in time). */
const openOrder = (orders, purpose) => orders.find((o) => o.purpose === purpose && OPEN.includes(o.state) && !expiredByTime(o)) || null;
/** The latest order of that purpose: what the citizen last did. */
const latestOf = (orders, purpose) => orders.find((o) => o.purpose === purpose) || null;
/** An open order whose time ran out is expired to the citizen (the service closes it later). */
const shownState = (o) => (!o ? "unpaid" : OPEN.includes(o.state) && expiredByTime(o) ? "expired" : o.state);

/**
 * "Hồ sơ của tôi": what the citizen owes on the dossier (the officer's request, the filing fee still
 * unpaid), its state, "Thanh toán", and every paid order's e-receipt.
 */
export function PaymentCard({ d, fees, counter = false, headingLevel = 2 }) {
  const orders = useOrders(d);
  const [busy, setBusy] = useState("");
  const [error, setError] = useState(null);
  const list = orders.data || [];
  const H = `h${headingLevel}`;
  const Sub = `h${headingLevel + 1}`;
  const due = [];
  if (d.status === "payment_requested") {
    const o = latestOf(list, "requested");
    const lines = d.payment_lines && d.payment_lines.length ? d.payment_lines : (o && o.lines) || [];
    const amount = d.payment_amount ?? (o ? o.amount : sum(lines));
    due.push({ purpose: "requested", lines, amount, order: o });
  }
  const filing = latestOf(list, "filing");
  // Paid, before the dossier records it: the fee is in the paid list below, not due any more.
  if (filingFeeDue({ ...d, fees: d.fees || fees }) && !(filing && filing.state === "paid")) {
    const o = filing;
    const lines = o && o.lines && o.lines.length ? o.lines : filingLines(d.fees || fees);
    due.push({ purpose: "filing", lines, amount: o ? o.amount : sum(lines), order: o });
  }
  const paid = list.filter((o) => o.state === "paid" || o.state === "refunded");
  if (!due.length && !paid.length) return null;

  const pay = async (purpose) => {
    setBusy(purpose);
    setError(null);
    try {
      let open = openOrder(list, purpose);
      // A request's order is opened by the payment service when it hears of the request: ask again for
      // the newest list before making one.
      if (!open && purpose === "requested") {
        const fresh = await get(`${P}/dossiers/${encodeURIComponent(d.id)}`).then(ordersOf, () => []);
        open = openOrder(fresh, purpose);
      }
      await payFor(d.id, purpose, open);
    } catch (err) {
      setBusy("");
      setError(err);
      if (err.status === 409) orders.reload(); // paid meanwhile (another tab): show it
    }
  };

  return html`<section class="card payment-card" aria-labelledby="payment-title" data-testid="payment-card">
    <${H} id="payment-title">${t("pay.title")}<//>
    <${ProblemAlert} error=${error} />
    ${orders.error ? html`<${ProblemAlert} error=${orders.error} focus=${false} />` : null}
    ${due.map((x) => {
      const state = shownState(x.order);
      const settled = state === "paid";
      const heading = x.purpose === "requested" ? t("pay.requested") : t("pay.filing");
      return html`<div class="payment-due" data-testid="payment-due" data-purpose=${x.purpose}>
        <${Sub}>${heading}<//>
        ${x.purpose === "requested" && !settled ? html`<p>${t("pay.requestedLead")}</p>` : null}
        ${x.purpose === "filing" && !settled ? html`<p>${t("pay.filingLead")}</p>` : null}
        <${PaymentLines} lines=${x.lines} amount=${x.amount} />
        <p>${t("pay.stateLabel")}: <${PaymentState} state=${state} /></p>
        ${state === "pending" ? html`<p class="muted small">${t("pay.pendingHint")}</p>` : null}
        ${state === "failed" ? html`<p class="muted small">${t("pay.failedHint")}</p>` : null}
        ${state === "expired" ? html`<p class="muted small">${t("pay.expiredHint")}</p>` : null}
        ${x.order && OPEN.includes(x.order.state) && x.order.expires_at && state !== "expired"
          ? html`<p class="muted small">${t("pay.expiresAt", { date: formatDateTime(x.order.expires_at) })}</p>`
          : null}
        ${settled
          ? html`<p><${ReceiptButton} order=${x.order} code=${d.code} onError=${setError} /></p>`
          : html`<div class="actions">
              <button type="button" class="btn btn-primary" disabled=${!!busy || orders.loading} onClick=${() => pay(x.purpose)} data-testid="pay-online">
                ${busy === x.purpose ? t("pay.going") : state === "failed" || state === "expired" ? t("pay.again") : t("pay.payOnline")}
                <span class="visually-hidden"> ${formatMoney(x.amount)}</span>
              </button>
              ${x.purpose === "filing" && counter && counterAllowed(d)
                ? html`<span class="muted small" data-testid="pay-counter-note">${t("pay.counterNote")}</span>`
                : null}
            </div>`}
      </div>`;
    })}
    ${paid.length
      ? html`<${Sub}>${t("pay.paidOrders")}<//>
          <ul class="event-list" data-testid="paid-orders">
            ${paid.map(
              (o) => html`<li data-testid="paid-order" data-purpose=${o.purpose}>
                <p>
                  <strong>${t(`pay.purpose.${o.purpose}`)}</strong>: ${formatMoney(o.amount)} — <${PaymentState} state=${o.state} testid="paid-order-state" />
                  ${o.paid_at ? html`<span class="muted"> — <time datetime=${o.paid_at}>${formatDateTime(o.paid_at)}</time></span>` : null}
                </p>
                ${o.receipt_no ? html`<p class="muted small">${t("pay.receiptNo")}: ${o.receipt_no}</p>` : null}
                <p><${ReceiptButton} order=${o} code=${d.code} onError=${setError} testid="paid-order-receipt" /></p>
              </li>`,
            )}
          </ul>`
      : null}
  </section>`;
}

/**
 * The officer's view of the dossier's payments: what was asked (lines, amount), each order's state, the
 * e-receipts.
 */
export function OfficerPayments({ d }) {
  const orders = useOrders(d);
  const [error, setError] = useState(null);
  const list = orders.data || [];
  const asked = d.status === "payment_requested" && (d.payment_lines || d.payment_amount);
  if (!asked && !list.length && !d.fee_paid_at) return null;
  return html`<section class="card" aria-labelledby="officer-pay-title" data-testid="officer-payments">
    <h2 id="officer-pay-title">${t("pay.title")}</h2>
    <${ProblemAlert} error=${error} focus=${false} />
    ${orders.error ? html`<${ProblemAlert} error=${orders.error} focus=${false} />` : null}
    ${asked
      ? html`<h3>${t("pay.requested")}</h3>
          <${PaymentLines} lines=${d.payment_lines} amount=${d.payment_amount} testid="officer-payment-lines" />
          ${latestOf(list, "requested") ? null : html`<p>${t("pay.stateLabel")}: <${PaymentState} state="unpaid" /></p>`}`
      : null}
    ${d.fee_paid_at ? html`<p data-testid="fee-paid-at">${t("pay.feePaidAt", { date: formatDateTime(d.fee_paid_at) })}</p>` : null}
    ${orders.loading && !orders.data ? html`<${Loading} />` : null}
    ${list.length
      ? html`<${DataTable}
          caption=${t("pay.ordersCaption")}
          testid="officer-orders"
          rows=${list}
          rowProps=${(o) => ({ "data-testid": "officer-order", "data-state": o.state, "data-purpose": o.purpose })}
          columns=${[
            { label: t("pay.purpose"), cell: (o) => t(`pay.purpose.${o.purpose}`) },
            { label: t("pay.amount"), cell: (o) => formatMoney(o.amount), props: () => ({ class: "num" }) },
            { label: t("pay.stateLabel"), cell: (o) => html`<${PaymentState} state=${shownState(o)} />` },
            { label: t("pay.paidAt"), cell: (o) => (o.paid_at ? formatDateTime(o.paid_at) : "—") },
            {
              label: t("pay.receipt"),
              cell: (o) => (o.state === "paid" || o.state === "refunded" ? html`<${ReceiptButton} order=${o} code=${d.code} onError=${setError} />` : "—"),
            },
          ]}
        />`
      : null}
  </section>`;
}

/** The queue's small payment state, from the dossier's own fields (no call per row). */
export function QueuePaymentState({ d }) {
  if (d.status === "payment_requested") {
    return html`<br /><span class="pay-state pay-pending" data-testid="queue-payment" data-state="requested">
        <span class="pay-icon" aria-hidden="true">◔</span>${t("pay.queue.waiting")}${d.payment_amount ? html`<span class="dl-extra">: ${formatMoney(d.payment_amount)}</span>` : null}
      </span>`;
  }
  if (d.fee_paid_at) {
    return html`<br /><span class="pay-state pay-paid" data-testid="queue-payment" data-state="paid"><span class="pay-icon" aria-hidden="true">✓</span>${t("pay.queue.feePaid")}</span>`;
  }
  if (d.fee_due_at_filing && !CLOSED_DOSSIER.includes(d.status)) {
    return html`<br /><span class="pay-state pay-open" data-testid="queue-payment" data-state="unpaid"><span class="pay-icon" aria-hidden="true">○</span>${t("pay.queue.feeUnpaid")}</span>`;
  }
  return null;
}

// -- the officer's request: lines -------------------------------------------------------------------------

/** "150.000", "150 000 đ", "150000" → 150000; NaN when it is not a whole number of đồng. */
export function parseAmount(text) {
  const s = String(text || "")
    .replace(/\s|đ|đồng|vnd/gi, "")
    .replace(/[.,](?=\d{3}(\D|$))/g, "");
  return /^\d+$/.test(s) ? Number(s) : NaN;
}

export const emptyLine = () => ({ key: `${Date.now()}-${Math.random()}`, name: "", amount: "" });

/** The problems of the lines, keyed lines.N.name / lines.N.amount (the field ids act-lines-N-…). */
export function lineErrors(lines) {
  const out = {};
  if (!lines.length) out.lines = t("pay.lines.required");
  lines.forEach((l, i) => {
    if (!l.name.trim()) out[`lines.${i}.name`] = t("pay.lines.nameRequired", { n: i + 1 });
    const a = parseAmount(l.amount);
    if (!(a > 0)) out[`lines.${i}.amount`] = t("pay.lines.amountRequired", { n: i + 1 });
  });
  return out;
}

export const cleanLines = (lines) => lines.map((l) => ({ name: l.name.trim(), amount: parseAmount(l.amount) }));

/** Name and amount rows, added and removed, and the total (said as it changes). */
export function LinesEditor({ lines, setLines, errors = {} }) {
  const addButton = useRef(null);
  const focusNext = useRef(null);
  useEffect(() => {
    if (focusNext.current === null) return;
    const target = focusNext.current;
    focusNext.current = null;
    const el = target === "add" ? addButton.current : document.getElementById(`act-lines-${target}-name`);
    if (el) el.focus();
  });
  const setLine = (i, k) => (e) => setLines(lines.map((l, j) => (j === i ? { ...l, [k]: e.target.value } : l)));
  const add = () => {
    focusNext.current = lines.length;
    setLines([...lines, emptyLine()]);
  };
  const remove = (i) => {
    focusNext.current = lines.length > 1 ? Math.max(0, i - 1) : "add";
    setLines(lines.filter((_, j) => j !== i));
    announce(t("pay.lines.removed", { n: i + 1 }));
  };
  const total = lines.reduce((n, l) => n + (parseAmount(l.amount) > 0 ? parseAmount(l.amount) : 0), 0);
  return html`<fieldset class="fieldset pay-lines" id="act-lines" tabindex="-1" data-testid="payment-lines-editor">
    <legend>${t("pay.lines.legend")}<span class="req" aria-hidden="true"> *</span></legend>
    <p class="hint">${t("pay.lines.hint")}</p>
    ${errors.lines ? html`<p class="error-msg">${errors.lines}</p>` : null}
    <ol class="pay-line-list">
      ${lines.map(
        (l, i) => html`<li class="pay-line" key=${l.key} data-testid="payment-line-row">
          <${Field}
            id=${`act-lines-${i}-name`}
            label=${t("pay.lines.name", { n: i + 1 })}
            value=${l.name}
            onInput=${setLine(i, "name")}
            error=${errors[`lines.${i}.name`]}
            required
            autocomplete="off"
            lang=${viLang()}
            data-testid="payment-line-name"
          />
          <${Field}
            id=${`act-lines-${i}-amount`}
            label=${t("pay.lines.amount", { n: i + 1 })}
            hint=${parseAmount(l.amount) > 0 ? formatMoney(parseAmount(l.amount)) : t("pay.lines.amountHint")}
            value=${l.amount}
            onInput=${setLine(i, "amount")}
            error=${errors[`lines.${i}.amount`]}
            required
            inputmode="numeric"
            autocomplete="off"
            class="field-short"
            data-testid="payment-line-amount"
          />
          <button type="button" class="btn btn-small btn-danger-outline" onClick=${() => remove(i)} data-testid="payment-line-remove">
            ${t("pay.lines.remove")}<span class="visually-hidden"> ${t("pay.lines.row", { n: i + 1 })}</span>
          </button>
        </li>`,
      )}
    </ol>
    <p><button type="button" ref=${addButton} class="btn btn-secondary btn-small" onClick=${add} data-testid="payment-line-add">${t("pay.lines.add")}</button></p>
    <p class="fee-total" aria-live="polite" data-testid="payment-total"><strong>${t("pay.total")}:</strong> ${formatMoney(total)}</p>
  </fieldset>`;
}

// -- the page the provider sends the browser back to ---------------------------------------------------------

const POLLS = 8;
const POLL_MS = 1500;

/**
 * /thanh-toan/ket-qua?vnp_TxnRef=…: the order's state as the payment service has it (the query's result
 * codes are not trusted: only the provider's notification changes the order). While it is still open
 * ("đang xác nhận") it is asked again a few times.
 */
export function PaymentReturnPage({ query }) {
  useLang();
  useTitle(t("pay.return.title"));
  const ref = query.get("vnp_TxnRef") || "";
  const [state, setState] = useState({ order: null, error: null, loading: !!ref, tries: 0 });
  const [saveError, setSaveError] = useState(null);
  const said = useRef("");
  const load = async (tries) => {
    try {
      const order = await get(`${P}/orders/${encodeURIComponent(ref)}`);
      setState({ order, error: null, loading: false, tries });
    } catch (error) {
      setState((s) => ({ ...s, error, loading: false, tries }));
    }
  };
  useEffect(() => {
    if (ref) load(0);
  }, [ref]);
  const o = state.order;
  const open = o && OPEN.includes(o.state);
  useEffect(() => {
    if (!open || state.tries >= POLLS) return undefined;
    const timer = setTimeout(() => load(state.tries + 1), POLL_MS);
    return () => clearTimeout(timer);
  }, [o && o.state, state.tries]);
  // Each state said once in the live region (the box changes in place).
  useEffect(() => {
    if (!o) return;
    const key = open && state.tries >= POLLS ? "unconfirmed" : o.state;
    if (said.current !== key) {
      said.current = key;
      announce(t(`pay.return.${OPEN.includes(key) ? "pending" : key}`));
    }
  }, [o && o.state, state.tries]);

  const back = o && o.dossier_id ? `/ho-so/${encodeURIComponent(o.dossier_id)}` : "/ho-so";
  const code = o && o.dossier_code;
  let box = null;
  if (!ref) box = html`<${Alert} kind="error" testid="payment-result" live=${false}>${t("pay.return.noRef")}<//>`;
  else if (state.loading) box = html`<${Loading} label=${t("pay.return.checking")} />`;
  else if (!o) box = html`<${ProblemAlert} error=${state.error} />`;
  else if (o.state === "paid")
    box = html`<${Alert} kind="success" title=${t("pay.state.paid")} testid="payment-result" live=${false}>
      <p>${t("pay.return.paid")}</p>
    <//>`;
  else if (open)
    box = html`<${Alert} kind="info" title=${t("pay.return.confirming")} testid="payment-result" live=${false}>
      ${state.tries < POLLS ? html`<p><span class="spinner" aria-hidden="true"></span> ${t("pay.return.pending")}</p>` : html`<p>${t("pay.return.unconfirmed")}</p>`}
    <//>`;
  else
    box = html`<${Alert} kind=${o.state === "refunded" ? "info" : "error"} title=${t(`pay.state.${o.state}`)} testid="payment-result" live=${false}>
      <p>${t(`pay.return.${o.state}`)}</p>
    <//>`;

  return html`<${PageHeading}>${t("pay.return.title")}<//>
    <section class="card" aria-labelledby="pay-result-title" data-testid="payment-return" data-state=${o ? o.state : ""}>
      <h2 id="pay-result-title" class="visually-hidden">${t("pay.return.title")}</h2>
      ${box}
      <${ProblemAlert} error=${saveError} focus=${false} />
      ${o
        ? html`<p>${t("pay.stateLabel")}: <${PaymentState} state=${o.state} /></p>
            <${Facts}
              testid="payment-facts"
              items=${[
                [t("dossier.code"), code || ""],
                [t("pay.purpose"), o.purpose ? t(`pay.purpose.${o.purpose}`) : ""],
                [t("pay.paidAt"), o.paid_at ? formatDateTime(o.paid_at) : ""],
                [t("pay.receiptNo"), o.receipt_no || ""],
              ]}
            />
            <${PaymentLines} lines=${o.lines} amount=${o.amount} />`
        : null}
      <div class="actions">
        ${o && o.state === "paid" ? html`<${ReceiptButton} order=${o} code=${code} onError=${setSaveError} />` : null}
        ${open && state.tries >= POLLS
          ? html`<button type="button" class="btn btn-secondary" onClick=${() => load(0)} data-testid="payment-check-again">${t("pay.return.checkAgain")}</button>`
          : null}
        <a class="btn btn-primary" href=${back} data-testid="payment-back">${code ? t("pay.return.back", { code }) : t("pay.return.backMine")}</a>
      </div>
    </section>`;
}
