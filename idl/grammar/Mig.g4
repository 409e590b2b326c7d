// The MIG interface definition language (.defs), after the C preprocessor.
// Keywords are case-insensitive as in GNU and Apple MIG; MACH_MSG_TYPE_* names
// are plain identifiers resolved by the compiler, so an unknown one is a
// located semantic error rather than a syntax error.
grammar Mig;

file : statement* EOF ;

statement
  : subsystemDecl ';'
  | waitTimeDecl ';'
  | msgOptionDecl ';'
  | msgSeqnoDecl ';'
  | prefixDecl ';'
  | rcsIdDecl ';'
  | importDecl ';'
  | typeDecl ';'
  | routineDecl ';'
  | skipDecl ';'
  | ';'
  ;

subsystemDecl : SUBSYSTEM subsystemMod* ident intExp ;
subsystemMod : KERNELUSER | KERNELSERVER ;

waitTimeDecl : WAITTIME cExpr | NOWAITTIME ;
msgOptionDecl : MSGOPTION cExpr ;
msgSeqnoDecl : MSGSEQNO ;
cExpr : ident | NUMBER | STRING ;

prefixDecl : (USERPREFIX | SERVERPREFIX | SERVERDEMUX) ident ;
rcsIdDecl : RCSID STRING ;
importDecl : (IMPORT | UIMPORT | SIMPORT) (STRING | SYSFILE) ;

typeDecl : TYPE ident '=' transTypeSpec ;

transTypeSpec : typeSpec typeAttr* ;

typeAttr
  : INTRAN ':' cType ident '(' cType ')'                        # inTranAttr
  | OUTTRAN ':' cType ident '(' cType ')'                       # outTranAttr
  | DESTRUCTOR ':' ident '(' cType ')'                          # destructorAttr
  | CTYPE ':' cType                                             # cTypeAttr
  | (CUSERTYPE | USERTYPE) ':' cType                            # cUserTypeAttr
  | (CSERVERTYPE | SERVERTYPE) ':' cType                        # cServerTypeAttr
  ;

// A C type name as the generated code spells it: `foo_t`, `unsigned int`, `struct x *`.
cType : ident+ '*'* ;

typeSpec
  : ident                                                       # namedType
  | POLYMORPHIC                                                 # polymorphicType
  | primIpcType '|' primIpcType                                 # pairType
  | '(' ipcType ',' intExp ipcFlag* ')'                         # sizedType
  | ARRAY '[' ']' OF typeSpec                                   # unboundedArrayType
  | ARRAY '[' '*' ']' OF typeSpec                               # unboundedArrayType2
  | ARRAY '[' '*' ':' intExp ']' OF typeSpec                    # boundedArrayType
  | ARRAY '[' intExp ']' OF typeSpec                            # fixedArrayType
  | STRUCT '[' intExp ']' OF typeSpec                           # structType
  | '^' typeSpec                                                # pointerType
  | CSTRING '[' intExp ']'                                      # fixedCStringType
  | CSTRING '[' '*' ':' intExp ']'                              # boundedCStringType
  ;

ipcType : primIpcType ('|' primIpcType)? ;
primIpcType : NUMBER | ident | POLYMORPHIC ;

ipcFlag : ',' flag ;
flag
  : ISLONG | ISSHORT | DEALLOC ('[' ']')? | NOTDEALLOC | SERVERCOPY | COUNTINOUT
  ;

routineDecl
  : kind=(ROUTINE | SIMPLEROUTINE | PROCEDURE | SIMPLEPROCEDURE) ident argumentList
  | kind=FUNCTION ident argumentList ':' typeSpec
  ;

argumentList : '(' (argument (';' argument)* ';'?)? ')' ;

argument : argKind? ident ':' argType ipcFlag* ;

// `name : type` or GNU's `name : newtype = spec attributes` (a type named in place).
argType : ident '=' transTypeSpec | typeSpec ;

argKind
  : IN | OUT | INOUT | REQUESTPORT | REPLYPORT | SREPLYPORT | UREPLYPORT
  | WAITTIME | MSGOPTION | MSGSEQNO
  ;

skipDecl : SKIP_ intExp? ;

intExp
  : intExp op=('*' | '/') intExp
  | intExp op=('+' | '-') intExp
  | '(' intExp ')'
  | NUMBER
  ;

ident : ID ;

// Keywords (case-insensitive).
SUBSYSTEM : S U B S Y S T E M ;
KERNELUSER : K E R N E L U S E R ;
KERNELSERVER : K E R N E L S E R V E R ;
ROUTINE : R O U T I N E ;
SIMPLEROUTINE : S I M P L E R O U T I N E ;
PROCEDURE : P R O C E D U R E ;
SIMPLEPROCEDURE : S I M P L E P R O C E D U R E ;
FUNCTION : F U N C T I O N ;
SKIP_ : S K I P ;
TYPE : T Y P E ;
IMPORT : I M P O R T ;
UIMPORT : U I M P O R T ;
SIMPORT : S I M P O R T ;
USERPREFIX : U S E R P R E F I X ;
SERVERPREFIX : S E R V E R P R E F I X ;
SERVERDEMUX : S E R V E R D E M U X ;
RCSID : R C S I D ;
WAITTIME : W A I T T I M E ;
NOWAITTIME : N O W A I T T I M E ;
MSGOPTION : M S G O P T I O N ;
MSGSEQNO : M S G S E Q N O ;
ARRAY : A R R A Y ;
STRUCT : S T R U C T ;
OF : O F ;
CSTRING : C '_' S T R I N G ;
POLYMORPHIC : P O L Y M O R P H I C ;
CTYPE : C T Y P E ;
CUSERTYPE : C U S E R T Y P E ;
CSERVERTYPE : C S E R V E R T Y P E ;
USERTYPE : U S E R T Y P E ;
SERVERTYPE : S E R V E R T Y P E ;
INTRAN : I N T R A N ;
OUTTRAN : O U T T R A N ;
DESTRUCTOR : D E S T R U C T O R ;
IN : I N ;
OUT : O U T ;
INOUT : I N O U T ;
REQUESTPORT : R E Q U E S T P O R T ;
REPLYPORT : R E P L Y P O R T ;
SREPLYPORT : S R E P L Y P O R T ;
UREPLYPORT : U R E P L Y P O R T ;
ISLONG : I S L O N G ;
ISSHORT : I S S H O R T ;
DEALLOC : D E A L L O C ;
NOTDEALLOC : N O T D E A L L O C ;
SERVERCOPY : S E R V E R C O P Y ;
COUNTINOUT : C O U N T I N O U T ;

ID : [a-zA-Z_] [a-zA-Z_0-9]* ;
NUMBER : [0-9]+ | '0' [xX] [0-9a-fA-F]+ ;
STRING : '"' (~["\\\r\n] | '\\' .)* '"' ;
SYSFILE : '<' ~[>\r\n]* '>' ;

// Line markers are removed before lexing (the compiler keeps them to map
// lines back); comments survive only when cpp is not run.
LINE_DIRECTIVE : '#' ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
LINE_COMMENT : '//' ~[\r\n]* -> skip ;
WS : [ \t\r\n\f]+ -> skip ;
// Anything else is one token the parser will refuse, with its location.
OTHER : . ;

fragment A : [aA] ; fragment B : [bB] ; fragment C : [cC] ; fragment D : [dD] ;
fragment E : [eE] ; fragment F : [fF] ; fragment G : [gG] ; fragment H : [hH] ;
fragment I : [iI] ; fragment J : [jJ] ; fragment K : [kK] ; fragment L : [lL] ;
fragment M : [mM] ; fragment N : [nN] ; fragment O : [oO] ; fragment P : [pP] ;
fragment Q : [qQ] ; fragment R : [rR] ; fragment S : [sS] ; fragment T : [tT] ;
fragment U : [uU] ; fragment V : [vV] ; fragment W : [wW] ; fragment X : [xX] ;
fragment Y : [yY] ; fragment Z : [zZ] ;
