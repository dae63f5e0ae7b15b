/**
 * View models of the calls pages: plain objects with exactly what each page shows, already in words.
 */
import type { CourseSummary } from '../courses/service';
import type { FormValues } from '../web/forms';
import type { AnswerForm, CallAudience, PaymentClaim } from './model';
import type { CallForTeam, CallSummary } from './service';

const dayText = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

const AUDIENCE_WORDS: Record<CallAudience, string> = {
  'co-facilitators': 'Co-facilitators who are signed in',
  invited: 'People with a personal link',
  both: 'Co-facilitators who are signed in, and people with a personal link',
};

const FORM_WORDS: Record<AnswerForm, string> = { writing: 'Writing', recording: 'A recording', picture: 'A picture' };
const CLAIM_WORDS: Record<PaymentClaim, string> = {
  paid: 'Wants to claim payment for their time',
  voucher: 'Wants a voucher for their time',
  none: 'Does not want to claim',
};

export const audienceOptions = [
  { value: 'both', text: AUDIENCE_WORDS.both },
  { value: 'co-facilitators', text: AUDIENCE_WORDS['co-facilitators'] },
  { value: 'invited', text: AUDIENCE_WORDS.invited },
];

function callRow(call: CallSummary) {
  return {
    id: call.id,
    question: call.question,
    guidance: call.guidance,
    moduleTitle: call.moduleTitle,
    closesText: dayText.format(call.closesAt),
    statusText: call.open ? `Open until ${dayText.format(call.closesAt)}` : 'Closed',
    open: call.open,
    audienceText: AUDIENCE_WORDS[call.audience],
    answersText: call.answerCount === 1 ? '1 answer' : `${call.answerCount} answers`,
  };
}

export function courseCallsPage(input: {
  course: Pick<CourseSummary, 'slug' | 'title'>;
  calls: CallSummary[];
  canManage: boolean;
  modules: Array<{ key: string; title: string }>;
  errors: Record<string, string>;
  values: FormValues;
}) {
  return {
    title: `Calls for contributions: ${input.course.title}`,
    course: { slug: input.course.slug, title: input.course.title },
    calls: input.calls.map(callRow),
    canManage: input.canManage,
    moduleOptions: input.modules.map((module) => ({ value: module.key, text: module.title })),
    audienceOptions,
    errors: input.errors,
    values: { audience: 'both', ...input.values },
  };
}

export function callPage(input: {
  course: Pick<CourseSummary, 'slug' | 'title'>;
  view: CallForTeam;
  newLink?: { link: string; name: string; expiresAt: Date };
  errors?: Record<string, string>;
  values?: FormValues;
}) {
  const { view, course } = input;
  const base = `/manage/courses/${course.slug}/calls/${view.call.id}`;
  return {
    title: `Call: ${view.call.question}`,
    course: { slug: course.slug, title: course.title },
    base,
    call: callRow(view.call),
    canManage: view.canManage,
    invitesAllowed: view.call.audience !== 'co-facilitators' && view.call.open,
    newLink: input.newLink ? { link: input.newLink.link, name: input.newLink.name, expiresText: dayText.format(input.newLink.expiresAt) } : null,
    lessonOptions: view.lessons.map((lesson) => ({ value: lesson.key, text: lesson.title })),
    answers: view.answers.map((answer) => ({
      id: answer.id,
      formText: FORM_WORDS[answer.form],
      isPicture: answer.form === 'picture',
      isRecording: answer.form === 'recording',
      isVideo: answer.file?.mimeType.startsWith('video/') ?? false,
      fileUrl: answer.file ? `${base}/answers/${answer.id}/file` : null,
      fileType: answer.file?.mimeType ?? '',
      text: answer.text,
      note: answer.note,
      creditLine: answer.role ? `${answer.creditLine}, ${answer.role}` : answer.creditLine,
      claimText: CLAIM_WORDS[answer.claim],
      from: answer.from,
      dateText: dayText.format(answer.createdAt),
      usedText: answer.usedIn
        ? `Used in draft version ${answer.usedIn.version}, in the lesson "${view.lessons.find((lesson) => lesson.key === answer.usedIn?.lessonKey)?.title ?? answer.usedIn.lessonKey}".`
        : null,
    })),
    invitations: view.invitations.map((invitation) => ({
      id: invitation.id,
      name: invitation.name,
      relationship: invitation.relationship,
      statusText: invitation.revoked ? 'Stopped' : invitation.expired ? 'Ended' : `Works until ${dayText.format(invitation.expiresAt)}`,
      active: !invitation.revoked && !invitation.expired,
      answersText: invitation.answerCount === 1 ? '1 answer' : `${invitation.answerCount} answers`,
    })),
    relationshipOptions: [
      { value: 'young person', text: 'A young person' },
      { value: 'parent carer', text: 'A parent carer' },
      { value: 'other', text: 'Someone else' },
    ],
    errors: input.errors ?? {},
    values: { days: '14', relationship: 'parent carer', ...(input.values ?? {}) },
  };
}

export function openCallsPage(calls: CallSummary[]) {
  return { title: 'Calls for contributions', calls: calls.map(callRow) };
}

export function answerFormPage(input: {
  call: CallSummary;
  answers: Array<{ form: AnswerForm; createdAt: Date }>;
  action: string;
  signedIn: boolean;
  holderName?: string;
  errors: Record<string, string>;
  values: FormValues;
}) {
  return {
    title: 'Answer a question',
    call: callRow(input.call),
    action: input.action,
    signedIn: input.signedIn,
    holderName: input.holderName ?? null,
    sent: input.answers.map((answer) => `${FORM_WORDS[answer.form]}, sent on ${dayText.format(answer.createdAt)}`),
    wayOptions: [
      { value: 'writing', text: 'Writing' },
      { value: 'audio', text: 'A sound recording', hint: 'Record your voice, or choose a sound file.' },
      { value: 'video', text: 'A video' },
      { value: 'picture', text: 'A picture, a drawing or a photograph' },
    ],
    creditOptions: [
      { value: 'full-name', text: 'My full name' },
      { value: 'first-name', text: 'My first name only' },
      { value: 'pseudonym', text: 'A different name that I choose' },
      { value: 'anonymous', text: 'Do not name me' },
    ],
    claimOptions: [
      { value: 'none', text: 'No, I do not want to claim' },
      { value: 'paid', text: 'Yes, I want to be paid for my time' },
      { value: 'voucher', text: 'Yes, I want a voucher instead of money' },
    ],
    errors: input.errors,
    values: { way: 'writing', creditDisplay: 'first-name', claim: 'none', ...input.values },
  };
}
