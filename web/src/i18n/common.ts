import { defineTable } from './table.js';

export const common = defineTable({
  en: {
    'app.title': 'Toposync Streaming',
    'nav.streams': 'Streams',
    'nav.settings': 'Settings',
    'common.save': 'Save',
    'common.cancel': 'Cancel',
    'common.delete': 'Delete',
    'common.edit': 'Edit',
    'common.add': 'Add',
    'common.close': 'Close',
    'common.copy': 'Copy',
    'common.copied': 'Copied',
    'common.loading': 'Loading…',
    'common.error': 'Something went wrong: {message}',
  },
  'pt-BR': {
    'app.title': 'Toposync Streaming',
    'nav.streams': 'Transmissões',
    'nav.settings': 'Configurações',
    'common.save': 'Salvar',
    'common.cancel': 'Cancelar',
    'common.delete': 'Excluir',
    'common.edit': 'Editar',
    'common.add': 'Adicionar',
    'common.close': 'Fechar',
    'common.copy': 'Copiar',
    'common.copied': 'Copiado',
    'common.loading': 'Carregando…',
    'common.error': 'Algo deu errado: {message}',
  },
});
