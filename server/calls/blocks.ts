/**
 * An answer to a call as a block of a module file, in the content/ syntax (content/README.md), so a block made
 * from an answer is the same kind of thing as one written by hand: the team edits it like any other.
 */
import type { AnswerCredit, CallAnswerDoc } from './model';

export interface AnswerBlockDetails {
  /** Pictures: what the picture shows, for people who cannot see it (required to publish). */
  alt?: string;
  /** Recordings: the clip's title. */
  title?: string;
  /** Recordings: what is said in it, shown below the player (or captions are added later in the draft). */
  transcript?: string;
}

/** The answer's file, with the path the draft gave it (media/...). */
interface PlacedFile {
  mimeType: string;
  path: string;
}

/** The name learners see, from the author's choice (the same words as a credit in content/). */
export function creditedName(credit: { display: AnswerCredit; name: string }): string {
  if (credit.display === 'anonymous') return 'A contributor who chose not to be named';
  if (credit.display === 'first-name') return credit.name.trim().split(/\s+/)[0] ?? credit.name;
  return credit.name.trim();
}

/** An attribute value inside double quotes: the syntax has no escape for a double quote, so it becomes a curly one. */
function attribute(value: string): string {
  return `"${value.replace(/"/g, '\u201d').replace(/[\r\n]+/g, ' ').trim()}"`;
}

/**
 * Someone's own words as Markdown that cannot break the module file: every line quoted (so `:::` and `##` do not
 * start a block or a lesson) and a leading `#` escaped (a heading inside a lesson's text is refused).
 */
function quoted(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .trim()
    .split('\n')
    .map((line) => (line.trim() === '' ? '>' : `> ${/^\s*#/.test(line) ? `\\${line.trimStart()}` : line}`))
    .join('\n');
}

/** Text inside a block: a line that would close the block or start a lesson or heading is escaped to stay text. */
function blockBody(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .trim()
    .split('\n')
    .map((line) => (/^\s*(:::|#)/.test(line) ? `\\${line.trimStart()}` : line))
    .join('\n');
}


export interface AnswerBlock {
  source: string;
  /** The module credit for the answer's author, as content/ writes one. */
  credit: { name?: string; display: AnswerCredit; contribution: 'lived-experience voice' | 'artwork'; role: string };
}

export function answerBlockSource(answer: Pick<CallAnswerDoc, 'form' | 'text' | 'credit'>, file: PlacedFile | null, details: AnswerBlockDetails): AnswerBlock {
  const who = creditedName(answer.credit);
  const attribution = `${who}${answer.credit.role ? `, ${answer.credit.role}` : ''}`;
  const credit = {
    ...(answer.credit.display === 'anonymous' ? {} : { name: answer.credit.name }),
    display: answer.credit.display,
    contribution: answer.form === 'picture' ? ('artwork' as const) : ('lived-experience voice' as const),
    role: answer.credit.role || 'answered a call for contributions',
  };
  if (answer.form === 'writing' || !file) {
    return { source: `${quoted(answer.text)}\n>\n> ${attribution}\n`, credit };
  }
  const path = file.path;
  const words = answer.text.trim() ? `${blockBody(answer.text)}\n\n` : '';
  if (answer.form === 'picture') {
    const alt = details.alt?.trim() ?? '';
    return { source: `:::image{src=${attribute(path)} alt=${attribute(alt)}}\n${words}By ${attribution}.\n:::\n`, credit };
  }
  const kind = file.mimeType.startsWith('video/') ? 'video' : 'audio';
  const title = details.title?.trim() || `In their own words: ${who}`;
  // The body of a clip is its transcript. Without one the draft lists the clip as needing captions or a
  // transcript, and the version cannot be published until the team adds them.
  const transcript = details.transcript?.trim() ? `${blockBody(details.transcript)}\n` : '';
  return { source: `:::${kind}{src=${attribute(path)} title=${attribute(title)}}\n${transcript}:::\n`, credit };
}
