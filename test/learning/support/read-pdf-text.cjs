/**
 * Reads a PDF on standard input and prints its text (pdf-parse). Run as its own Node process because
 * pdf.js loads its worker with a dynamic import(), which Jest's module sandbox does not allow.
 */
const { PDFParse } = require('pdf-parse');

const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', async () => {
  const parser = new PDFParse({ data: new Uint8Array(Buffer.concat(chunks)) });
  try {
    const result = await parser.getText();
    process.stdout.write(result.text);
  } catch (error) {
    process.stderr.write(String(error));
    process.exitCode = 1;
  } finally {
    await parser.destroy();
  }
});
