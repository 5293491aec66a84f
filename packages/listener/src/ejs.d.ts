// The slice of ejs 7's API exacast uses (the package ships no type declarations).
declare module "ejs" {
  export interface Options {
    filename?: string;
    escape?: (value: unknown) => string;
    compileDebug?: boolean;
    strict?: boolean;
    async?: false;
    cache?: boolean;
    localsName?: string;
    rmWhitespace?: boolean;
    _with?: boolean;
    destructuredLocals?: string[];
  }
  export type TemplateFunction = (data: Record<string, unknown>) => string;
  export class Template {
    constructor(text: string, opts?: Options);
    source: string;
    generateSource(): void;
  }
  interface Ejs {
    compile(text: string, opts?: Options): TemplateFunction;
    Template: typeof Template;
  }
  const ejs: Ejs;
  export default ejs;
}
