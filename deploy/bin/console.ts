// `npx cdk deploy -c platformStack=backgroundagent-dev -c publicUrl=https://console.example.com`:
// reads the platform stack's outputs (DescribeStacks, with your credentials) and deploys the console
// next to it. The console binary and the site come from `make lambda-package` (run it first).
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { ConsoleStack } from '../lib/console-stack';
import { platformOutputs } from '../lib/platform-outputs';
import { ConsoleFargateStack } from '../lib/console-fargate-stack';

async function main(): Promise<void> {
  const app = new App();
  const platformStack = app.node.tryGetContext('platformStack') ?? process.env.PLATFORM_STACK_NAME ?? 'backgroundagent-dev';
  const publicUrl: string | undefined = app.node.tryGetContext('publicUrl');
  if (!publicUrl) throw new Error('set -c publicUrl=https://… (the URL admins will use; the Linear redirect URI is built on it)');
  const region = process.env.CDK_DEFAULT_REGION ?? process.env.AWS_REGION;
  if (!region) throw new Error('set AWS_REGION (the platform stack\'s region)');
  const root = path.resolve(__dirname, '..', '..', '..');
  const name = app.node.tryGetContext('stackName') ?? `${platformStack}-linear-console`;
  // `-c alertTopicArns=arn:…,arn:…`: topics of your own that alerts go to as well.
  const alertTopicArns = String(app.node.tryGetContext('alertTopicArns') ?? '').split(',').map((s: string) => s.trim()).filter(Boolean);
  const common = {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region },
    platformStackName: platformStack,
    platform: await platformOutputs(platformStack, region),
    publicUrl,
    alertTopicArns,
    // `-c eventBusName=…`: the EventBridge bus lifecycle events go to (the account's default bus otherwise).
    eventBusName: app.node.tryGetContext('eventBusName') ?? 'default',
  };
  // `-c runtime=fargate -c certificateArn=…`: the container image on ECS instead of Lambda.
  if (app.node.tryGetContext('runtime') === 'fargate') {
    const certificateArn: string | undefined = app.node.tryGetContext('certificateArn');
    if (!certificateArn) throw new Error('the Fargate deployment needs -c certificateArn=<ACM certificate for the publicUrl name>');
    new ConsoleFargateStack(app, name, { ...common, certificateArn, imageDir: root });
  } else {
    new ConsoleStack(app, name, { ...common, lambdaCodeDir: path.join(root, 'target', 'lambda'), siteDir: path.join(root, 'target', 'site') });
  }
  app.synth();
}

main().catch((e) => {
  console.error(`linear-console deploy: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
