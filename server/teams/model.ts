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
