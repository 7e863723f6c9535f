// Finding elements in tests, failing with the hook that is missing rather than on a null later.

/** The element with id `id`. */
export function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is not in the page`);
  return element;
}

/** The first element matching `selector`. */
export function q(selector: string): HTMLElement {
  const element = document.querySelector<HTMLElement>(selector);
  if (!element) throw new Error(`${selector} is not in the page`);
  return element;
}
