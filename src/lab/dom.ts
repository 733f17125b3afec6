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

/**
 * A table from a header and rows of text, in a box that scrolls sideways when narrow.
 *
 * @param optional - columns that a narrow panel (the sidebar) leaves out, so that every row still
 *   shows what it is.
 */
export function tableOf(
  header: string[],
  rows: Array<Array<Child>>,
  attributes: Record<string, string> = {},
  optional: number[] = []
): HTMLElement {
  const cls = (index: number) => (optional.includes(index) ? 'locolens-col-optional' : undefined);
  const table = h(
    'table',
    { class: 'locolens-table', ...attributes },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        header.map((cell, index) => h('th', { class: cls(index) }, cell))
      )
    ),
    h(
      'tbody',
      {},
      rows.map(row =>
        h(
          'tr',
          {},
          row.map((cell, index) => h('td', { class: cls(index) }, cell))
        )
      )
    )
  );
  return h('div', { class: 'locolens-scroll-x' }, table);
}

/** A name (`level_walking`, `UM21_AB01`) that may wrap after its underscores in a narrow column. */
export function breakable(name: string): HTMLElement {
  const parts = name.split(/(?<=_)/);
  return h(
    'span',
    { class: 'locolens-breakable' },
    parts.flatMap((part, i) => (i < parts.length - 1 ? [part, document.createElement('wbr')] : [part]))
  );
}
