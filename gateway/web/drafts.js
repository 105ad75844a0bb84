// Step 1 of a dossier kept on this device until the server has it (issue 23): what the person types in
// the step-1 form is saved in localStorage as they type, per signed-in user and per procedure (before
// the draft exists: "new:<code>") or per dossier (an open draft: "dossier:<id>"), restored after a reload
// or offline, and removed once the server has it (the draft created and its applicant saved). Only step
// 1's fields: never a file, never another step. A record older than MAX_AGE is dropped when read, and
// signing out removes the user's records (a shared device).
const PREFIX = "dvc.draft1.";
const MAX_AGE = 14 * 24 * 3600 * 1000;

const keyOf = (user, scope) => `${PREFIX}${user}.${scope}`;

/** The saved record {values, context, pending, key, saved_at} of `user` for `scope`, or null. */
export function loadDraft(user, scope) {
  if (!user) return null;
  try {
    const raw = localStorage.getItem(keyOf(user, scope));
    if (!raw) return null;
    const rec = JSON.parse(raw);
    if (!rec || typeof rec !== "object" || !rec.values || Date.now() - (rec.saved_at || 0) > MAX_AGE) {
      localStorage.removeItem(keyOf(user, scope));
      return null;
    }
    return rec;
  } catch {
    return null;
  }
}

/** Save (replace) the record of `user` for `scope`; false when the browser refuses (storage full, private mode). */
export function saveDraft(user, scope, record) {
  if (!user) return false;
  try {
    localStorage.setItem(keyOf(user, scope), JSON.stringify({ ...record, saved_at: Date.now() }));
    return true;
  } catch {
    return false;
  }
}

export function clearDraft(user, scope) {
  if (!user) return;
  try {
    localStorage.removeItem(keyOf(user, scope));
  } catch {
    /* nothing kept */
  }
}

/** Remove every record of `user` (signing out). */
export function clearDrafts(user) {
  if (!user) return;
  try {
    const mine = `${PREFIX}${user}.`;
    const keys = [];
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (k && k.startsWith(mine)) keys.push(k);
    }
    keys.forEach((k) => localStorage.removeItem(k));
  } catch {
    /* nothing kept */
  }
}
