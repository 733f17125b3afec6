/**
 * Building DOM from data without ever parsing it as HTML: every string goes in as text.
 */

type Child = Node | string | number | null | undefined | false;

/**
 * Create an element with attributes and children; strings become text nodes.
 *
 * @param tag - element name.
 * @param attributes - attributes (`class`, `data-*`, `title`, …); values are set as text.
 * @param children - nodes or text.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number | boolean | undefined> = {},
  ...children: Array<Child | Child[]>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) {
      continue;
    }
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    element.append(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** A table from a header and rows of text, in a box that scrolls sideways when narrow. */
export function tableOf(header: string[], rows: Array<Array<Child>>, attributes: Record<string, string> = {}): HTMLElement {
  const table = h(
    'table',
    { class: 'locolens-table', ...attributes },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        header.map(cell => h('th', {}, cell))
      )
    ),
    h(
      'tbody',
      {},
      rows.map(row =>
        h(
          'tr',
          {},
          row.map(cell => h('td', {}, cell))
        )
      )
    )
  );
  return h('div', { class: 'locolens-scroll-x' }, table);
}
