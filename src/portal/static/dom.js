// DOM helpers of the portal page. Values are only ever written as text nodes or attribute values: nothing here
// parses HTML, so descriptions, errors and response excerpts (attacker-controlled text) render as text.

/**
 * el('button', { class: 'x', onclick: fn, disabled: true }, 'text', childNode): an element with attributes
 * (a function under an `on…` name becomes a listener, a boolean becomes a property) and children (strings become
 * text nodes; null, undefined and false are skipped).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'function' && name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (typeof value === 'boolean') node[name] = value;
    else node.setAttribute(name, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A link-looking button: no href, so nothing from the API ever becomes a URL the browser follows. */
export function linkButton(label, onClick, attrs = {}) {
  return el('button', { type: 'button', class: 'link', onclick: onClick, ...attrs }, label);
}

export function table(id, headings, rows) {
  return el(
    'table',
    { id },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headings.map((h) => el('th', {}, h)),
      ),
    ),
    el('tbody', {}, rows),
  );
}

/** A <dl> of [term, value, class?] entries (the class names the value's <dd>). */
export function facts(id, entries) {
  return el(
    'dl',
    { id },
    entries.flatMap(([term, value, name]) => [el('dt', {}, term), el('dd', { class: name }, value)]),
  );
}
