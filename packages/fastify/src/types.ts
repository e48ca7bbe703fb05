// Public types of @lbkit/fastify: the codes the plugins raise themselves.

/**
 * The codes @lbkit/fastify raises itself, when a plugin is registered (`fastify.ready()` rejects
 * with them); every other code comes from the package a plugin adapts. See the README's "Error codes".
 * `LBKIT_FASTIFY_PLUGIN_MISORDERED`: a plugin that reads another's decorator at registration
 * (balancerFeedbackPlugin, the shedder) was registered before it.
 */
export type FastifyErrorCode =
  | 'LBKIT_FASTIFY_PLUGIN_MISORDERED'
  | 'LBKIT_FASTIFY_OPTION_UNKNOWN'
  | 'LBKIT_FASTIFY_OPTION_INVALID'
  | 'LBKIT_FASTIFY_FACTORY_NOT_CALLED';
