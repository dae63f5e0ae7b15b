/**
 * The charter the product ships with: version 1, until an admin publishes their organisation's own. Written for
 * this product in plain words, for autistic young people, parent carers and staff alike (see the content brief).
 */
export const SHIPPED_CHARTER_TEXT = `We make our training together. This charter says how we work with each other. It is for everyone on an authoring team: autistic young people, parent carers, and staff.

### We are equal partners

- We decide together, from the start. We do not ask people for their views only at the end.
- Everyone here has lived experience. Staff have it too. We ask everyone to be open, not only families.
- Nobody is here to tick a box. If you feel you are not being listened to, please tell us.

### The child or young person is at the heart of it

- We write about children and young people as whole people, with strengths as well as challenges.
- We never share anything that could identify a child without the family's clear agreement.

### You can take part in the way that suits you

- You can talk, write, draw, take photographs or make a recording. All of these count.
- You can take a break, say "not now", or stop at any time. You do not have to explain why.
- We use plain words. We do not use jargon or initials without saying what they mean.
- We keep meetings short, give the times in advance, and say what will happen.

### We respect your time

- We pay people for their time and their expertise, and we cover costs such as travel or care cover.
- You can choose a voucher instead, or no payment. Some people's benefits depend on this. We will point you to advice.

### You choose how you are credited

- You choose how your name is shown: your full name, your first name, a different name, or no name.
- You can change this or take it back at any time, from your own account page.

### Your words make a difference

- When your ideas change the training, we tell you what changed.
- If we cannot do something you asked for, we tell you why.

### We look after each other

- We are kind and patient. We listen without interrupting.
- We keep what people share in meetings private, unless someone is at risk of harm.
- If something upsets you, you can talk to a trainer you trust, or to the person who runs the team.`;
