import { resolve } from 'node:path';
import { RuleTester } from 'eslint';
import { boundaryOptions } from '../eslint.config.mjs';
import { moduleBoundaries } from './module-boundaries.mjs';

// The project's own options, against the real tree (a folder import is recognised on disk; jest runs at the root)
const root = process.cwd();
const options = [{ root, ...boundaryOptions }];
const at = (file: string) => resolve(root, file);

const tester = new RuleTester({ languageOptions: { ecmaVersion: 2022, sourceType: 'module' } });

tester.run('module-boundaries', moduleBoundaries, {
  valid: [
    // libs use each other through their aliases, and their own files directly
    { code: "import { AppError } from '@app/http';", filename: at('libs/resilience/src/x.ts'), options },
    { code: "import { routeOf } from '../route-of';", filename: at('libs/http/src/access/x.ts'), options },
    // a feature uses another feature through its index, and its own internals directly
    { code: "import { UsersService } from '../user';", filename: at('apps/api/src/admin/x.ts'), options },
    { code: "import { UsersService } from '../user/index';", filename: at('apps/api/src/admin/x.ts'), options },
    { code: "import { User } from '../entities/user.entity';", filename: at('apps/api/src/user/dto/x.ts'), options },
    // the composition root reaches features through their index
    { code: "import { AuthModule } from './auth';", filename: at('apps/api/src/app.module.ts'), options },
    { code: "import { configurations } from './configurations';", filename: at('apps/api/src/app.factory.ts'), options },
    // a unit spec is white-box
    { code: "import { AuthError } from './auth/auth.errors';", filename: at('apps/api/src/error-codes.spec.ts'), options },
    // the e2e suite may inspect entities
    { code: "import { User } from '../apps/api/src/user/entities/user.entity';", filename: at('test/x.e2e-spec.ts'), options },
    // a path computed at run time is not an import (how the embedded profile loads the emulator)
    { code: 'const emulator = require(entry);', filename: at('apps/api/src/embedded-wechat.ts'), options },
  ],
  invalid: [
    {
      code: "import { UsersService } from '../../../apps/api/src/user';",
      filename: at('libs/cache/src/x.ts'),
      options,
      errors: [{ messageId: 'forbidden' }],
    },
    {
      code: "export * from '../../../apps/api/src/auth/auth.errors';",
      filename: at('libs/http/src/x.ts'),
      options,
      errors: [{ messageId: 'forbidden' }],
    },
    {
      code: "import { createWechatEmulator } from '../../wechat-emulator/src/emulator';",
      filename: at('apps/api/src/embedded-wechat.ts'),
      options,
      errors: [{ messageId: 'forbidden' }],
    },
    {
      code: "const emulator = await import('../../../wechat-emulator/src/embedded');",
      filename: at('apps/api/src/auth/x.ts'),
      options,
      errors: [{ messageId: 'forbidden' }],
    },
    {
      code: "const { createWechatEmulator } = require('../../wechat-emulator/src/emulator');",
      filename: at('apps/api/src/x.ts'),
      options,
      errors: [{ messageId: 'forbidden' }],
    },
    {
      code: "import { User } from '../user/entities/user.entity';",
      filename: at('apps/api/src/admin/admin-users.service.ts'),
      options,
      errors: [{ messageId: 'deepFeatureImport', data: { source: '../user/entities/user.entity', feature: 'user', entry: '../user' } }],
    },
    {
      code: "export { AuthError } from '../../auth/auth.errors';",
      filename: at('apps/api/src/admin/dto/x.ts'),
      options,
      errors: [{ messageId: 'deepFeatureImport' }],
    },
    {
      code: "import { AuthModule } from './auth/auth.module';",
      filename: at('apps/api/src/app.module.ts'),
      options,
      errors: [{ messageId: 'deepFeatureImport', data: { source: './auth/auth.module', feature: 'auth', entry: './auth' } }],
    },
  ],
});
