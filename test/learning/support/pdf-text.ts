import { execFile } from 'node:child_process';
import path from 'node:path';

/** The text of a PDF, parsed back with pdf-parse in a child process (see read-pdf-text.cjs for why). */
export function pdfText(pdf: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [path.join(__dirname, 'read-pdf-text.cjs')],
      { cwd: path.resolve(__dirname, '../../..'), maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
    child.stdin?.end(pdf);
  });
}
