/**
 * Team: a staff team that courses are assigned to. Members learn; trainers look after the team.
 * The user's own `teams` list mirrors membership so "my teams" is one indexed read.
 */
import mongoose, { Schema, type InferSchemaType, type Types } from 'mongoose';

const teamSchema = new Schema(
  {
    name: { type: String, required: true, trim: true, maxlength: 120 },
    // Lowercased name, unique, so "Day Service" and "day service" are the same team.
    key: { type: String, required: true },
    members: { type: [{ type: Schema.Types.ObjectId, ref: 'User' }], default: [] },
    trainers: { type: [{ type: Schema.Types.ObjectId, ref: 'User' }], default: [] },
  },
  { timestamps: true },
);

teamSchema.index({ key: 1 }, { unique: true });
teamSchema.index({ trainers: 1 });
teamSchema.index({ members: 1 });

export type TeamDocument = InferSchemaType<typeof teamSchema> & { _id: Types.ObjectId };

export const Team = mongoose.model('Team', teamSchema);

/**
 * TeamMembership: when a person joined a team (and left it), one record per team and person. `team.members`
 * stays the list of who is in the team now; this record adds the dates that assignments due "N days after
 * joining" need. Leaving sets `leftAt` (the record is kept); joining again clears it and starts a new `joinedAt`.
 */
const teamMembershipSchema = new Schema(
  {
    team: { type: Schema.Types.ObjectId, ref: 'Team', required: true },
    user: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    joinedAt: { type: Date, required: true },
    leftAt: { type: Date, default: null },
  },
  { versionKey: false },
);
teamMembershipSchema.index({ team: 1, user: 1 }, { unique: true });
// "My teams, with the dates I joined them" (a learner's due dates).
teamMembershipSchema.index({ user: 1, leftAt: 1 });

export interface TeamMembershipRecord {
  _id: Types.ObjectId;
  team: Types.ObjectId;
  user: Types.ObjectId;
  joinedAt: Date;
  leftAt: Date | null;
}

export const TeamMembership = mongoose.model('TeamMembership', teamMembershipSchema);
