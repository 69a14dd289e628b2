/** esbuild loads .css files as text (loader '.css': 'text'); main.ts puts them in a nonce'd <style>. */
declare module '*.css' {
  const text: string;
  export default text;
}
