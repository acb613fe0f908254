import { Inject, Injectable, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { InjectRepository } from '@nestjs/typeorm';
import { Column, DataSource, Entity, PrimaryGeneratedColumn, Repository } from 'typeorm';
import { TransactionRunner } from '@app/database';
import { TwoLevelCache } from '@app/cache/two-level-cache';
import { useTestDataSource } from './test-data-source';
import { newTestService } from './test-service';

@Entity('notes')
class Note {
  @PrimaryGeneratedColumn()
  id: number;

  @Column()
  text: string;
}

class BaseMailer {
  greet(name: string): string {
    return `hello ${name}`;
  }
}

@Injectable()
class Mailer extends BaseMailer {
  async send(to: string): Promise<boolean> {
    return to.length > 0;
  }
}

const NOTES_CONFIG = Symbol('NOTES_CONFIG');
const AUDIT = Symbol('AUDIT');

@Injectable()
class NotesService {
  constructor(
    @InjectRepository(Note) readonly notes: Repository<Note>,
    readonly transactions: TransactionRunner,
    readonly dataSource: DataSource,
    readonly cache: TwoLevelCache,
    readonly reflector: Reflector,
    readonly config: ConfigService,
    readonly mailer: Mailer,
    @Inject(NOTES_CONFIG) readonly settings: { limit: number },
    @Optional() @Inject(AUDIT) readonly audit?: { record(): void },
  ) {}
}

const db = useTestDataSource({ entities: [Note], migrations: [] });

describe('newTestService', () => {
  const build = () =>
    newTestService(NotesService, {
      dataSource: db.dataSource,
      config: { notes: { pageSize: 20 } },
      providers: [{ provide: NOTES_CONFIG, useValue: { limit: 3 } }],
    });

  it('serves repositories, DataSource and TransactionRunner from the data source', () => {
    const { sut } = build();
    expect(sut.notes).toBeInstanceOf(Repository);
    expect(sut.notes.metadata.target).toBe(Note);
    expect(sut.dataSource).toBe(db.dataSource);
    expect(sut.transactions).toBeInstanceOf(TransactionRunner);
  });

  it('builds framework helpers and the in-process cache for real, and ConfigService from `config`', async () => {
    const { sut } = build();
    expect(sut.reflector).toBeInstanceOf(Reflector);
    expect(sut.config.getOrThrow<number>('notes.pageSize')).toBe(20);
    expect(await sut.cache.getOrLoad('k', async () => 'loaded')).toBe('loaded');
  });

  it('passes providers by token and leaves an unprovided @Optional() parameter undefined', () => {
    const { sut } = build();
    expect(sut.settings).toEqual({ limit: 3 });
    expect(sut.audit).toBeUndefined();
  });

  it('fakes other classes: every method, inherited ones too, is a jest.fn() read back with fake()', async () => {
    const { sut, fake } = build();
    const mailer = fake(Mailer);
    expect(sut.mailer).toBe(mailer);
    expect(mailer).toBeInstanceOf(Mailer);
    mailer.send.mockResolvedValue(false);
    expect(await sut.mailer.send('a@b.c')).toBe(false);
    expect(mailer.greet('x')).toBeUndefined();
    expect(mailer.greet).toHaveBeenCalledWith('x');
    expect(() => fake(Reflector)).toThrow('NotesService got no fake Reflector');
  });

  it('refuses to guess a token it has no default for, and a repository without a data source', () => {
    expect(() => newTestService(NotesService, { dataSource: db.dataSource })).toThrow(
      'NotesService needs Symbol(NOTES_CONFIG) (parameter 7), which has no default',
    );
    expect(() => newTestService(NotesService)).toThrow('NotesService needs NoteRepository (parameter 0): pass a dataSource');
  });
});
