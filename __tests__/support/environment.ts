// The AWS SDK warns on every client creation under Node 20; tests run on Node 20 by design.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
