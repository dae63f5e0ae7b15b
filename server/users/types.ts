/** The users feature's name for the shared shapes about people, which live in ../people.ts (below the web layer). */
export * from '../people';
