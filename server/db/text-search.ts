/**
 * A case-insensitive pattern that finds `text` anywhere in a field, every character taken literally: what a
 * search box on a list page means (a dot or bracket typed there is not a regular expression).
 */
export function containsText(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
}
