/** Percent-decodes one URI component; a malformed escape leaves the component as it was sent. */
export function decodeComponentLenient(component: string): string {
  if (!component.includes('%')) return component;
  try {
    return decodeURIComponent(component);
  } catch {
    return component;
  }
}
