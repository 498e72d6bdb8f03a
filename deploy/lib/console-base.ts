// What the console needs whichever way it runs (Lambda or containers): its own two tables, the admin
// group in the platform's user pool, the permissions of exactly the calls it makes, and its environment.
import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** What the platform stack's outputs name (read from it by `bin/console.ts`). */
export interface PlatformOutputs {
  readonly registryTableName: string;
  readonly userMappingTableName: string;
  readonly projectMappingTableName: string;
  /** The platform's repository table (`RepoTableName`), read to tell whether a repository is onboarded. */
  readonly repoTableName?: string;
  readonly webhookSecretArn: string;
  readonly userPoolId: string;
  /** The webhook processor's log group (`/aws/lambda/<the function whose logical id contains
   * WebhookProcessorFn>`), read for what the platform drops; none: the pages say it is not known. */
  readonly processorLogGroup?: string;
}

/** The operator and viewer roles' groups (the console's defaults). */
export const OPERATOR_GROUP = 'linear-console-operators';
export const VIEWER_GROUP = 'linear-console-viewers';

export interface ConsoleBaseProps {
  /** The platform stack's name: the console reads its outputs itself at start. */
  readonly platformStackName: string;
  readonly platform: PlatformOutputs;
  readonly adminGroupName?: string;
  /** SNS topics of your own that alerts go to as well (the stack makes one anyway). */
  readonly alertTopicArns?: string[];
  /** The EventBridge bus lifecycle events go to (a name in this account and region; `default`
   * unless named). */
  readonly eventBusName?: string;
}

export class ConsoleBase extends Construct {
  readonly sessions: dynamodb.Table;
  readonly audit: dynamodb.Table;
  readonly incidents: dynamodb.Table;
  /** The key the sessions table's data is sealed with: only the console's role reads it, so whoever
   * reads the table (a backup, a support query) sees no token or secret of a session. */
  readonly sessionKey: secretsmanager.Secret;
  /** The console's alert topic: subscribe email, Slack (AWS Chatbot) or PagerDuty to it. */
  readonly alertTopic: sns.Topic;
  /** Every audit event as a JSON line, for a SIEM to subscribe to (kept 400 days, and on teardown). */
  readonly auditLog: logs.LogGroup;
  readonly auditStream: logs.LogStream;
  readonly adminGroupName: string;
  private readonly alertTopicArns: string[];
  readonly eventBusName: string;
  private readonly platformStackName: string;
  private readonly platform: PlatformOutputs;

  constructor(scope: Construct, id: string, props: ConsoleBaseProps) {
    super(scope, id);
    this.adminGroupName = props.adminGroupName ?? 'linear-console-admins';
    this.platformStackName = props.platformStackName;
    this.platform = props.platform;
    this.alertTopicArns = props.alertTopicArns ?? [];
    this.eventBusName = props.eventBusName ?? 'default';
    const p = props.platform;
    const adminGroupName = this.adminGroupName;

    // The console's own tables: sign-ins shared by every instance, and the audit log (kept on teardown).
    this.sessions = new dynamodb.Table(this, 'Sessions', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expires_at',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.sessionKey = new secretsmanager.Secret(this, 'SessionKey', {
      description: 'Linear admin console: the key its sessions table data is sealed with',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A member's list of sessions (on /profile, and an admin's from /users) is one Query of this
    // index; it keeps the list's attributes only, never a session's data.
    this.sessions.addGlobalSecondaryIndex({
      indexName: 'ByMember',
      partitionKey: { name: 'member', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: ['started_at', 'seen_at', 'ends_at', 'expires_at', 'address', 'browser'],
    });
    this.audit = new dynamodb.Table(this, 'Audit', {
      partitionKey: { name: 'day', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'ttl',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // A page of the log is one Query: every event newest first, or one workspace's. (CloudFormation adds
    // one index per update: an audit table deployed before these existed takes two deploys.)
    for (const [indexName, key] of [['ByTime', 'feed'], ['ByWorkspace', 'target']]) {
      this.audit.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: key, type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      });
    }
    // Incidents, alert deliveries and the health history (kept on teardown, like the audit log).
    this.incidents = new dynamodb.Table(this, 'Incidents', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'ttl',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.alertTopic = new sns.Topic(this, 'Alerts', { displayName: 'Linear console alerts', enforceSSL: true });
    this.auditLog = new logs.LogGroup(this, 'AuditLog', { retention: logs.RetentionDays.THIRTEEN_MONTHS, removalPolicy: RemovalPolicy.RETAIN });
    this.auditStream = new logs.LogStream(this, 'AuditStream', {
      logGroup: this.auditLog,
      logStreamName: 'audit',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Only members of these groups of the platform's pool may use the console, each with its role.
    new cognito.CfnUserPoolGroup(this, 'AdminGroup', {
      userPoolId: p.userPoolId,
      groupName: adminGroupName,
      description: 'Linear admin console: admins (connect, reconnect, revoke, remove, secrets)',
    });
    new cognito.CfnUserPoolGroup(this, 'OperatorGroup', {
      userPoolId: p.userPoolId,
      groupName: OPERATOR_GROUP,
      description: 'Linear admin console: operators (checks, refreshes, user links)',
    });
    new cognito.CfnUserPoolGroup(this, 'ViewerGroup', {
      userPoolId: p.userPoolId,
      groupName: VIEWER_GROUP,
      description: 'Linear admin console: viewers (read only)',
    });

  }

  /** Lets `role` make the console's calls, and no others. */
  grantConsole(role: iam.IRole): void {
    const stack = Stack.of(this);
    const p = this.platform;
      const tableArn = (name: string) => stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: name });
      const platformTables = [p.registryTableName, p.userMappingTableName].map(tableArn);
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'PlatformAndConsoleTables',
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:Scan'],
          resources: [
            ...platformTables,
            ...platformTables.map((arn) => `${arn}/index/*`),
            this.sessions.tableArn,
            `${this.sessions.tableArn}/index/ByMember`,
            this.audit.tableArn,
            `${this.audit.tableArn}/index/*`,
            this.incidents.tableArn,
          ],
        }),
      );
      // `/readyz` (a monitor's readiness probe) describes the registry table: the rehearsal found it missing.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'ReadinessCheck', actions: ['dynamodb:DescribeTable'], resources: [tableArn(p.registryTableName)] }),
      );
      // The audit log's copy for security teams: write lines to its one stream, nothing else.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'AuditLogStream',
          actions: ['logs:PutLogEvents'],
          resources: [
            stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: `${this.auditLog.logGroupName}:log-stream:audit`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      );
      // The lifecycle stream: put events on the one bus, nothing else of EventBridge.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'LifecycleEvents',
          actions: ['events:PutEvents'],
          resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: this.eventBusName })],
        }),
      );
      // What the platform drops: filter the webhook processor's log group, read only, nothing else.
      if (p.processorLogGroup) {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'PlatformDroppedRequests',
            actions: ['logs:FilterLogEvents'],
            // The group, in both forms IAM is asked with (with and without `:*`).
            resources: [p.processorLogGroup, `${p.processorLogGroup}:*`].map((name) =>
              stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
            ),
          }),
        );
      }
      // Projects: a page Scans the mappings; a change reads one row and Puts it whole, conditionally.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ProjectMappings',
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan'],
          resources: [tableArn(p.projectMappingTableName)],
        }),
      );
      if (p.repoTableName) {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'PlatformRepositories',
            actions: ['dynamodb:Scan'],
            resources: [tableArn(p.repoTableName)],
          }),
        );
      }
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'AlertTopics',
          actions: ['sns:Publish'],
          resources: [this.alertTopic.topicArn, ...this.alertTopicArns],
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'WorkspaceTokenBundles',
          actions: [
            'secretsmanager:CreateSecret',
            'secretsmanager:GetSecretValue',
            'secretsmanager:PutSecretValue',
            'secretsmanager:DescribeSecret',
            'secretsmanager:TagResource',
            'secretsmanager:RestoreSecret',
            'secretsmanager:DeleteSecret',
          ],
          resources: [stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: 'bgagent-linear-oauth-*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'SessionKey',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [this.sessionKey.secretArn],
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'StackWebhookSecret',
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          resources: [p.webhookSecretArn],
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'PlatformUsers',
          // ListUsersInGroup: the roster sessions are re-checked against; AdminGetUser: a member's
          // second factor on their profile page; GetUserPoolMfaConfig: whether Cognito's software tokens take
          // in the pool (else the console keeps its own second factor); AdminCreateUser: platform users made
          // from Linear members.
          actions: [
            'cognito-idp:ListUsers',
            'cognito-idp:ListUsersInGroup',
            'cognito-idp:AdminGetUser',
            'cognito-idp:DescribeUserPool',
            'cognito-idp:GetUserPoolMfaConfig',
            'cognito-idp:AdminCreateUser',
          ],
          resources: [stack.formatArn({ service: 'cognito-idp', resource: 'userpool', resourceName: p.userPoolId })],
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'PlatformStackOutputs',
          actions: ['cloudformation:DescribeStacks'],
          resources: [stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${this.platformStackName}/*` })],
        }),
      );
  }

  /** The console's environment: the platform stack's name (it reads the rest), its own tables.
   * `proxyHops`: the proxies in front that append the client's address to X-Forwarded-For (the
   * sign-in throttle counts by that address). */
  environment(publicUrl: string, proxyHops: number): Record<string, string> {
    return {
      CONSOLE_TRUSTED_PROXY_HOPS: String(proxyHops),
      CONSOLE_OPERATOR_GROUP: OPERATOR_GROUP,
      CONSOLE_VIEWER_GROUP: VIEWER_GROUP,
      PLATFORM_STACK_NAME: this.platformStackName,
      CONSOLE_PUBLIC_URL: publicUrl,
      CONSOLE_SESSIONS_TABLE: this.sessions.tableName,
      CONSOLE_SESSION_KEY_SECRET_ARN: this.sessionKey.secretArn,
      CONSOLE_AUDIT_TABLE: this.audit.tableName,
      CONSOLE_INCIDENTS_TABLE: this.incidents.tableName,
      CONSOLE_ALERT_SNS_TOPIC_ARNS: [this.alertTopic.topicArn, ...this.alertTopicArns].join(','),
      CONSOLE_ADMIN_GROUP: this.adminGroupName,
      CONSOLE_AUDIT_LOG_GROUP: this.auditLog.logGroupName,
      CONSOLE_AUDIT_LOG_STREAM: 'audit',
      CONSOLE_LOG_FORMAT: 'json',
      CONSOLE_EVENT_BUS: this.eventBusName,
      ...(this.platform.processorLogGroup ? { PLATFORM_PROCESSOR_LOG_GROUP: this.platform.processorLogGroup } : {}),
    };
  }
}
