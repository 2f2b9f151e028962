/**
 * Where a command's text goes. Commands write whole lines through this interface rather than to
 * process.stdout, so the program can run in-process (tests, scripts) and still capture every line.
 */
export interface Output {
    stdout(line: string): void;
    stderr(line: string): void;
}

export const processOutput: Output = {
    stdout: (line) => void process.stdout.write(line + '\n'),
    stderr: (line) => void process.stderr.write(line + '\n'),
};
