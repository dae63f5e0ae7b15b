// Makes the shipped courses' media on a machine with espeak-ng, ffmpeg/ffprobe and rsvg-convert (Debian
// packages espeak-ng, ffmpeg, librsvg2-bin). Not part of the app and not needed to run or test it: the
// generated files are committed. Run from the project root: node content/tools/generate-media.mjs
//
// - art/<course>/*.svg are drawn by hand and rasterised to PNG in that course's media folder (the app never
//   serves SVG, which can carry script).
// - narration.json lists clips, each with the course it belongs to; each sentence is synthesised on its own, measured with ffprobe, and joined
//   with a short pause, so every WebVTT cue matches exactly the time its sentence is spoken.
// - A clip with an "image" becomes an .mp4 with that still picture; the others become mono .mp3 files.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const mediaDirOf = (course) => path.resolve(here, '../courses', course, 'media');
const pauseSeconds = 0.4;

function run(command, args) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function duration(file) {
  return Number(run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]).trim());
}

function stamp(seconds) {
  const ms = Math.round(seconds * 1000);
  const minutes = Math.floor(ms / 60000);
  const rest = ms - minutes * 60000;
  return `${String(minutes).padStart(2, '0')}:${String(Math.floor(rest / 1000)).padStart(2, '0')}.${String(rest % 1000).padStart(3, '0')}`;
}

for (const course of readdirSync(path.join(here, 'art'))) {
  for (const file of readdirSync(path.join(here, 'art', course)).filter((f) => f.endsWith('.svg'))) {
    const target = path.join(mediaDirOf(course), file.replace(/\.svg$/, '.png'));
    run('rsvg-convert', ['-w', '800', '-h', '450', path.join(here, 'art', course, file), '-o', target]);
    console.log(`image ${path.relative(process.cwd(), target)}`);
  }
}

const clips = JSON.parse(readFileSync(path.join(here, 'narration.json'), 'utf8'));
for (const clip of clips) {
  const mediaDir = mediaDirOf(clip.course);
  const work = mkdtempSync(path.join(tmpdir(), 'narration-'));
  try {
    const parts = [];
    const cues = [];
    let time = 0.3; // a short silence before the first words
    run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `anullsrc=r=22050:cl=mono`, '-t', String(time), path.join(work, 'lead.wav')]);
    run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `anullsrc=r=22050:cl=mono`, '-t', String(pauseSeconds), path.join(work, 'pause.wav')]);
    parts.push('lead.wav');
    clip.sentences.forEach((sentence, index) => {
      const raw = path.join(work, `raw-${index}.wav`);
      const wav = `sentence-${index}.wav`;
      run('espeak-ng', ['-v', clip.voice, '-s', String(clip.speed), '-w', raw, sentence]);
      // One sample rate and layout for every part, so the concat demuxer can join them without gaps.
      run('ffmpeg', ['-v', 'error', '-i', raw, '-ar', '22050', '-ac', '1', path.join(work, wav)]);
      const length = duration(path.join(work, wav));
      cues.push({ start: time, end: time + length, text: sentence });
      time += length + pauseSeconds;
      parts.push(wav, 'pause.wav');
    });
    writeFileSync(path.join(work, 'list.txt'), parts.map((p) => `file '${p}'`).join('\n'));
    const joined = path.join(work, 'joined.wav');
    run('ffmpeg', ['-v', 'error', '-f', 'concat', '-safe', '0', '-i', path.join(work, 'list.txt'), '-c', 'copy', joined]);

    const vtt = ['WEBVTT', '', ...cues.flatMap((cue, i) => [String(i + 1), `${stamp(cue.start)} --> ${stamp(cue.end)}`, cue.text, ''])];
    writeFileSync(path.join(mediaDir, `${clip.out}.vtt`), vtt.join('\n'));

    if (clip.image) {
      const target = path.join(mediaDir, `${clip.out}.mp4`);
      run('ffmpeg', [
        '-v', 'error', '-y', '-loop', '1', '-framerate', '2', '-i', path.join(mediaDir, clip.image), '-i', joined,
        '-c:v', 'libx264', '-tune', 'stillimage', '-pix_fmt', 'yuv420p', '-r', '2', '-c:a', 'aac', '-b:a', '48k',
        // -t rather than -shortest: with a looped still picture, -shortest overshoots by many seconds.
        '-t', duration(joined).toFixed(3), '-movflags', '+faststart', target,
      ]);
      console.log(`video ${path.relative(process.cwd(), target)} (${duration(target).toFixed(1)} s)`);
    } else {
      const target = path.join(mediaDir, `${clip.out}.mp3`);
      run('ffmpeg', ['-v', 'error', '-y', '-i', joined, '-c:a', 'libmp3lame', '-b:a', '40k', '-ac', '1', target]);
      console.log(`audio ${path.relative(process.cwd(), target)} (${duration(target).toFixed(1)} s)`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
