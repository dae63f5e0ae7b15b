import { Writable } from 'node:stream';
import express from 'express';
import multer from 'multer';
import supertest from 'supertest';
import { errorHandler } from './errors';
import { createUploadFactory } from './upload';

/** A storage engine that records what reached it, as a media store would. */
function recordingStorage() {
  const stored: Array<{ name: string; type: string; bytes: number }> = [];
  const storage: multer.StorageEngine = {
    _handleFile(_req, file, callback) {
      let bytes = 0;
      file.stream.pipe(
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            bytes += chunk.length;
            done();
          },
          final(done) {
            stored.push({ name: file.originalname, type: file.mimetype, bytes });
            callback(null, { size: bytes });
            done();
          },
        }),
      );
    },
    _removeFile(_req, _file, callback) {
      callback(null);
    },
  };
  return { storage, stored };
}

function appWith(storage: multer.StorageEngine, maxFileBytes = 1_000_000) {
  const upload = createUploadFactory({ validateCsrf: () => true });
  const app = express();
  app.post('/upload', ...upload.single('file', { accept: ['image/png', 'text/vtt'], maxFileBytes, storage }), (req, res) => {
    res.json({ type: req.file?.mimetype, size: req.file?.size });
  });
  app.use(errorHandler({ showStack: false }));
  return app;
}

const PNG_HEADER = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

describe('uploads into a storage engine', () => {
  it('streams a file of an accepted type to the storage whole, with the type read from its content', async () => {
    const { storage, stored } = recordingStorage();
    const png = Buffer.concat([PNG_HEADER, Buffer.alloc(50_000, 7)]);
    const response = await supertest(appWith(storage)).post('/upload').accept('json').attach('file', png, { filename: 'photo.bin', contentType: 'application/octet-stream' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ type: 'image/png', size: png.length });
    expect(stored).toEqual([{ name: 'photo.bin', type: 'image/png', bytes: png.length }]);
  });

  it('accepts a small text file of an accepted text type', async () => {
    const { storage, stored } = recordingStorage();
    const captions = Buffer.from('WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n');
    const response = await supertest(appWith(storage)).post('/upload').accept('json').attach('file', captions, { filename: 'captions.vtt', contentType: 'text/vtt' });
    expect(response.status).toBe(200);
    expect(stored).toEqual([{ name: 'captions.vtt', type: 'text/vtt', bytes: captions.length }]);
  });

  it('never lets a file of another type reach the storage', async () => {
    const { storage, stored } = recordingStorage();
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(10_000, 1)]);
    const response = await supertest(appWith(storage)).post('/upload').accept('json').attach('file', pdf, { filename: 'photo.png', contentType: 'image/png' });
    expect(response.status).toBe(422);
    expect(response.body.error.fields.file).toContain('is not a file type we can use here');
    expect(stored).toEqual([]);
  });

  it('stops a file over the size limit, naming the field', async () => {
    const { storage } = recordingStorage();
    const png = Buffer.concat([PNG_HEADER, Buffer.alloc(20_000, 7)]);
    const response = await supertest(appWith(storage, 10_000)).post('/upload').accept('json').attach('file', png, { filename: 'big.png', contentType: 'image/png' });
    expect(response.status).toBe(422);
    expect(response.body.error.fields.file).toContain('The file is too large');
  });
});
