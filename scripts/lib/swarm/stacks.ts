// The four stacks of the TODO application, deployed in this order (as in the seeds).
export const STACKS = [
  { name: 'todo_mysql', file: 'stack/todo-mysql.yml', services: ['master', 'slave'] },
  { name: 'todo_app', file: 'stack/todo-app.yml', services: ['api', 'nginx'] },
  { name: 'todo_frontend', file: 'stack/todo-frontend.yml', services: ['web', 'nginx'] },
  { name: 'todo_ingress', file: 'stack/todo-ingress.yml', services: ['haproxy'] },
] as const;

export const APP_NETWORK = 'todoapp';
export const SECRETS = ['tododb_root_password', 'tododb_password', 'tododb_repl_password', 'haproxy_stats_password'] as const;
