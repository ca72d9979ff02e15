import { StringDecoder } from 'node:string_decoder';

const MAX_LINE = 4 * 1024 * 1024;

/** Splits a byte stream into text lines; a line longer than 4 MiB is cut into pieces. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  push(chunk: Buffer, onLine: (line: string) => void): void {
    const text = this.partial + this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      onLine(text.slice(start, nl > start && text[nl - 1] === '\r' ? nl - 1 : nl));
      start = nl + 1;
    }
    this.partial = text.slice(start);
    while (this.partial.length > MAX_LINE) {
      onLine(this.partial.slice(0, MAX_LINE));
      this.partial = this.partial.slice(MAX_LINE);
    }
  }

  end(onLine: (line: string) => void): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest.length) onLine(rest);
  }
}
