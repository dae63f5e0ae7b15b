/** What the admin lists share: their page size, the page and search query fields, and who sees everything. */
import { z } from 'zod';
import type { SignedInUser } from '../people';

export const PAGE_SIZE = 25;

export const pageNumber = z.coerce.number().int().min(1).max(100_000).catch(1);
export const searchText = z.string().trim().max(100).optional().catch(undefined);

/** Admins see and change everything; trainers only what concerns the teams they train. */
export const isAdmin = (user: SignedInUser): boolean => user.roles.includes('admin');
