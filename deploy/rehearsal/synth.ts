// The deployment rehearsal's first step (end2end/scripts/rehearsal.sh): the console's Lambda stack
// synthesized against a platform stack in moto, read with the same code as `bin/console.ts`
// (DescribeStacks through `AWS_ENDPOINT_URL`). The function's code and the site are placeholders:
// the rehearsal runs the console binary itself with the role's credentials, and moto runs no Lambda.
//
// node dist/rehearsal/synth.js <platform stack> <public URL> <template out>
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { ConsoleStack } from '../lib/console-stack';
import { platformOutputs } from '../lib/platform-outputs';

async function main(): Promise<void> {
  const [platformStack, publicUrl, out] = process.argv.slice(2);
  if (!platformStack || !publicUrl || !out) throw new Error('usage: synth.js <platform stack> <public URL> <template out>');
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-rehearsal-'));
  const code = path.join(dir, 'lambda');
  fs.mkdirSync(code, { recursive: true });
  fs.mkdirSync(path.join(dir, 'site', 'pkg'), { recursive: true });
  fs.writeFileSync(path.join(code, 'bootstrap'), '#!/bin/sh\n');
  fs.writeFileSync(path.join(dir, 'site', 'pkg', 'app.css'), 'body{}');
  const app = new App({ outdir: path.join(dir, 'cdk.out') });
  const stack = new ConsoleStack(app, `${platformStack}-linear-console`, {
    // moto's account: the role's policy names resources in it.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT ?? '123456789012', region },
    platformStackName: platformStack,
    platform: await platformOutputs(platformStack, region),
    publicUrl,
    alertTopicArns: [],
    lambdaCodeDir: code,
    siteDir: path.join(dir, 'site'),
  });
  const template = app.synth().getStackByName(stack.stackName).template;
  fs.writeFileSync(out, JSON.stringify(template, null, 1));
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(`rehearsal synth: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
