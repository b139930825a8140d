import type { EnvReader } from '@qsmo/service-kit/config';

/** Whether the gateway serves the Model Context Protocol at /mcp (see plugins/mcp.ts). */
export interface McpConfig {
  /** MCP_ENABLED: on by default, off by default with NODE_ENV=production. */
  enabled: boolean;
}

export function readMcpConfig(env: EnvReader): McpConfig {
  return { enabled: env.boolean('MCP_ENABLED', env.string('NODE_ENV') !== 'production') };
}
