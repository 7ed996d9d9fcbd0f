/**
 * The format of an event type (issue 16): dot-separated words of letters, digits, `_`, `-` and `:`
 * (`form.submitted`). Here, below every module, because the events module and the tools that emit
 * events (emit_event) both check it.
 */
export const EVENT_TYPE_RE = /^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/;
export const EVENT_TYPE_HINT = 'dot-separated words of letters, digits, _, - and :';
