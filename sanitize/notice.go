package sanitize

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

const defaultLead = "【お知らせ】このメールはメールゲートウェイで無害化（安全な形に再構成）されています。"

const noticeRule = "----------------------------------------------------------------------"

// notice returns the lines telling the reader what was done: Japanese,
// then one English line. Filenames go through the link rewriter like any
// body text, so "www.example.com.pdf" is not clickable either.
func (s *sanitizer) notice() []string {
	lines := make([]string, 0, len(s.pol.lead)+6)
	lines = append(lines, s.pol.lead...)
	has := func(a string) bool { return contains(s.rep.Actions, a) }
	var enBuf [8]string
	en := enBuf[:0] // the English line's parts: a few
	if s.pol.Lockdown {
		// First: it explains the lines after it, and it is temporary.
		lines = append(lines, "・現在、緊急時対応のため、すべての添付ファイルとリンクを削除しています。")
		en = append(en, "emergency lockdown: every attachment and link removed")
	}
	if has("html-to-text") {
		lines = append(lines, "・HTML形式の本文をテキストに変換しました。")
		en = append(en, "HTML converted to text")
	}
	if has("charset-repaired") {
		lines = append(lines, "・文字コードの表示の誤りを補正して本文を読み込みました。")
		en = append(en, "charset corrected")
	}
	for _, f := range s.rep.Findings {
		if f.Kind == "charset-invalid" {
			mark := "\uFFFD"
			if s.pol.OutputCharset == "iso-2022-jp" {
				mark = "〓" // what U+FFFD becomes in ISO-2022-JP
			}
			lines = append(lines, "・文字コードとして読めない部分は「"+mark+"」に置き換えています。")
			en = append(en, "undecodable characters replaced")
			break
		}
	}
	if s.isoReplaced {
		lines = append(lines, "・ISO-2022-JPで表せない文字（絵文字、一部の記号や漢字など）は「〓」に置き換えています。")
		en = append(en, "characters without an ISO-2022-JP code replaced")
	}
	if has("bidi-removed") {
		lines = append(lines, "・文字の並びを逆向きに見せる制御文字を取り除きました。送信者の画面とは文字の並びが違って見えることがあります。")
		en = append(en, "bidirectional controls removed")
	}
	for _, f := range s.rep.Findings {
		if f.Kind == "link-mismatch" {
			lines = append(lines, "・表示されたアドレスと実際のリンク先が異なるリンクがあります（"+mismatchMark+"の箇所）。偽サイトへの誘導の可能性があります。")
			en = append(en, "links leading to another site than their text shows marked")
			break
		}
	}
	if has("links-defanged") {
		lines = append(lines, linksDefangedLines[s.linksWhere()])
		en = append(en, "links disabled")
	}
	if has("links-removed") {
		lines = append(lines, linksRemovedLines[s.linksWhere()])
		en = append(en, "links removed")
	}
	if has("ambiguous") {
		if s.onlyLimits() {
			lines = append(lines, "・検査の上限（入れ子の深さ、パートの数、ヘッダーの大きさ）を超えた部分は配送していません。")
			en = append(en, "parts over a limit dropped")
		} else {
			lines = append(lines, "・MIME構造があいまいな部分は配送していません。")
			en = append(en, "ambiguous parts dropped")
		}
	}
	if s.bodyWithheld() {
		// The reader sees an empty message and a list of removed
		// "attachments": say that one of them was the text itself.
		if has("ambiguous") {
			lines = append(lines, "・このため、メールの本文は表示していません。本文が必要な場合は管理者にお問い合わせください。")
		} else {
			lines = append(lines, "・このメールは暗号化または署名と一体の形で届いたため、本文は表示していません。")
		}
		en = append(en, "message text withheld")
	}
	for _, f := range s.rep.Findings {
		if f.Kind == "too-many-parts" {
			// The parts after the limit were not read: no list names them.
			lines = append(lines, "・パートの数が上限（"+itoa(s.pol.MIME.MaxParts)+"）を超えたため、それより後の部分は配送していません。")
			en = append(en, "parts over the limit dropped")
			break
		}
	}
	if f := s.addrDropped; len(f) > 0 {
		lines = append(lines, "・リンクや使えない文字を含むメールアドレスを次の欄から削除しました: "+strings.Join(f, "、"))
		en = append(en, "addresses removed from "+strings.Join(f, ", "))
	}
	switch s.fromWritten {
	case "envelope":
		lines = append(lines, "・差出人（From）欄に使えるアドレスがないため、送信元サーバーが通知した差出人アドレス（エンベロープ）を表示しています。")
		en = append(en, "no usable From: the envelope sender shown")
	case "unknown":
		lines = append(lines, "・差出人（From）欄に使えるアドレスがなく、差出人は不明です（返信はどこにも届きません）。")
		en = append(en, "no usable From: sender unknown")
	}
	var removed, kept []*leaf
	for _, l := range s.leaves {
		if l.alt {
			continue
		}
		switch l.part.Decision {
		case DecisionStrip:
			removed = append(removed, l)
		case DecisionKeep:
			kept = append(kept, l)
		}
	}
	// Files cut out of the body beyond those the report lists are
	// removed all the same: counted here, named nowhere.
	if n := len(removed) + s.moreBlocks; n > 0 {
		lines = append(lines, fmt.Sprintf("・削除した添付ファイル等（%d件）:", n))
		for i, l := range removed {
			if i == 50 {
				break
			}
			lines = append(lines, "    - "+s.describe(l)+" … "+jpReason(l))
			if len(l.encEntries) > 0 {
				names := make([]string, len(l.encEntries))
				for i, e := range l.encEntries {
					names[i] = shortName(cleanFilename(e))
				}
				more := ""
				if l.encMore > 0 {
					more = fmt.Sprintf("（ほか%d件）", l.encMore)
				}
				lines = append(lines, "        中のファイル: "+strings.Join(names, "、")+more)
			}
		}
		if listed := min(len(removed), 50); n > listed {
			lines = append(lines, fmt.Sprintf("    ほか%d件", n-listed))
		}
		en = append(en, fmt.Sprintf("%d attachment(s) removed", n))
		if has("calendar-summarised") {
			en = append(en, "calendar events written in the text")
		}
	}
	if len(kept) > 0 {
		en = append(en, fmt.Sprintf("%d attachment(s) kept", len(kept)))
		var changed []*leaf
		for _, l := range kept {
			if l.textLinks+l.textFormulas > 0 {
				changed = append(changed, l)
			}
		}
		if len(changed) == 0 {
			lines = append(lines, fmt.Sprintf("・許可された添付ファイル（%d件）はそのまま添付しています。", len(kept)))
		} else {
			lines = append(lines, fmt.Sprintf("・許可された添付ファイル（%d件）を添付しています。次のファイルは中身を無害化しています:", len(kept)))
			for i, l := range changed {
				if i == 50 {
					lines = append(lines, fmt.Sprintf("    ほか%d件", len(changed)-50))
					break
				}
				var what []string
				if l.textLinks > 0 {
					verb := "無効化"
					if s.pol.Body.Links == "remove" {
						verb = "削除"
					}
					what = append(what, fmt.Sprintf("URL %d件を%s", l.textLinks, verb))
				}
				if l.textFormulas > 0 {
					what = append(what, fmt.Sprintf("数式 %d件を文字列に変更", l.textFormulas))
				}
				lines = append(lines, "    - "+s.describe(l)+" … "+strings.Join(what, "、"))
			}
			en = append(en, fmt.Sprintf("links or formulas disabled in %d kept file(s)", len(changed)))
		}
		var linked []*leaf
		for _, l := range kept {
			if l.fileLinks > 0 {
				linked = append(linked, l)
			}
		}
		if len(linked) > 0 {
			// The promise of the lines above (links made non-clickable)
			// does not hold for these files: the reader must know.
			lines = append(lines, "・次の添付ファイル中のリンクはクリックできる形のままです（無効化していません）。送信元を確かめてから開いてください:")
			for i, l := range linked {
				if i == 50 {
					lines = append(lines, fmt.Sprintf("    ほか%d件", len(linked)-50))
					break
				}
				lines = append(lines, "    - "+s.describe(l)+fmt.Sprintf(" … リンク %d件", l.fileLinks))
			}
			en = append(en, fmt.Sprintf("links left clickable in %d kept file(s)", len(linked)))
		}
	}
	if id := cleanID(s.opt.OriginalID); id != "" {
		lines = append(lines, "・原本は隔離保管されています。必要な場合は管理者に次のIDをお伝えください: "+id)
		en = append(en, "original kept as "+id)
	}
	english := "[Notice] This message was sanitised by the mail gateway."
	if len(en) > 0 {
		english = "[Notice] This message was sanitised by the mail gateway: " + strings.Join(en, "; ") + "."
	}
	lines = append(lines, english)
	if mode := s.pol.Body.Links; mode != "keep" {
		// The notice's links are the names of the files it lists: with
		// links: remove (and in a lockdown) "archive.zip" would become
		// "[リンク削除]", and the reader could not tell which file was
		// removed. Defanged, a name is as unclickable and still readable.
		if mode == "remove" {
			mode = "defang"
		}
		for i := len(s.pol.lead); i < len(lines); i++ { // the lead was, by normalise
			lines[i], _ = rewriteLinks(lines[i], mode)
		}
	}
	return lines
}

// bodyWithheld reports whether the original's text is not shown because
// the part holding it was dropped: no body text was chosen, and a part
// dropped for its structure or a limit is a text, or of no known type (a
// header that does not parse).
func (s *sanitizer) bodyWithheld() bool {
	if len(s.msgs) == 0 {
		return false
	}
	top := s.msgs[0]
	if top.slot != nil && top.slot.chosen != nil {
		return false
	}
	for _, l := range s.leaves {
		t := strings.ToLower(l.part.DeclaredType)
		if l.msg == top && len(l.ambig) > 0 && l.part.Decision == DecisionStrip && (t == "" || strings.HasPrefix(t, "text/")) {
			return true
		}
		if l.msg == top && (l.part.Reason == encryptedMailReason || l.part.Reason == opaqueSignedReason || l.part.Reason == smimeReason) {
			return true // the text is inside it
		}
	}
	return false
}

// describe names a part for the notice: its filename (cleaned, shortened)
// or its type, and its size.
func (s *sanitizer) describe(l *leaf) string {
	name := shortName(cleanFilename(l.part.Filename))
	if name == "" {
		t := l.part.DeclaredType
		if i := strings.IndexAny(t, "; |"); i >= 0 {
			t = t[:i]
		}
		t = strings.TrimSpace(cleanString(t))
		if t == "" {
			t = "形式不明" // a part whose header did not parse
		}
		name = "(名前なし " + t + ")"
	}
	where := ""
	if l.msg != nil && l.msg.level > 0 {
		// Not attached to the message the reader sees, but to one it
		// forwards (or a bounce returns): where to look for it.
		where = "（転送されたメール内）"
		if l.msg.returned {
			where = "（返送されたメール内）"
		}
	}
	return name + " (" + humanSize(l.part.Size) + ")" + where
}

// shortName shortens a long file name for the notice, keeping its end
// (the extension).
func shortName(name string) string {
	if utf8.RuneCountInString(name) > 80 {
		r := []rune(name)
		name = string(r[:60]) + "…" + string(r[len(r)-15:])
	}
	return name
}

func jpReason(l *leaf) string {
	r := l.part.Reason
	switch {
	case strings.HasPrefix(r, memberNotKeptReason+" ("):
		// First: the member's name follows, and may hold any word the
		// cases below look for. Its links are neutralised with the
		// rest of the notice line.
		name := strings.TrimSuffix(strings.TrimPrefix(r, memberNotKeptReason+" ("), ")")
		return "圧縮ファイル内に、ポリシーで許可されていない種類のファイル（" + name + "）があるため"
	case strings.HasPrefix(r, "ambiguous") && strings.Contains(r, "mime-depth-exceeded"):
		return "入れ子（転送の重なりなど）が深すぎて検査できないため"
	case strings.HasPrefix(r, "ambiguous") && strings.Contains(r, "too-many-parts"):
		return "パートが多すぎて検査できないため"
	case strings.HasPrefix(r, "ambiguous") && strings.Contains(r, "header-too-large"):
		return "ヘッダーが大きすぎて検査できないため"
	case strings.HasPrefix(r, "ambiguous"):
		return "MIME構造があいまいなため"
	case l.kind == leafBlock:
		return "本文中に埋め込まれた符号化ファイルのため"
	case strings.HasPrefix(r, "TNEF"):
		return "Outlookのリッチテキスト形式（TNEF、winmail.dat）で、中の添付ファイルを取り出して検査できないため。必要な場合は、送信者にHTML形式かテキスト形式で送り直すよう依頼してください"
	case strings.HasPrefix(r, "executable"):
		return "実行ファイル・スクリプトのため"
	case strings.HasPrefix(r, "encrypted archive"):
		return "パスワード付き（暗号化された）圧縮ファイルで、中身を検査できないため。必要な場合は、送信者にほかの方法での送付を依頼してください"
	case strings.HasPrefix(r, "encrypted"):
		return "パスワード付き（暗号化された）ファイルで、中身を検査できないため"
	case r == sylkReason:
		return "開くと数式やマクロが実行される表計算データ（SYLK）のため"
	case r == messageEntryReason:
		return "圧縮ファイル内に、メール・予定表・連絡先のファイル（中身や添付ファイルを検査できない）があるため"
	case r == mailFileReason:
		return "メールのファイルで、開くとその中のHTMLや添付ファイルが無害化されないまま表示されるため"
	case r == encryptedMailReason:
		return "暗号化されたメール（S/MIME・PGP）で、中身を検査できないため。内容が必要な場合は、送信者に暗号化せずに送るよう依頼してください"
	case r == bidiNameReason:
		return "ファイル名に、拡張子を偽装できる制御文字（文字の向きを変える記号）が含まれるため"
	case r == pgpControlReason:
		return "暗号化されたメールの制御情報のため"
	case r == opaqueSignedReason, r == smimeReason:
		return "署名や暗号と一体になった形（S/MIME）のメールで、中身を取り出して検査していないため"
	case r == signatureReason:
		return "電子署名のため（署名は検証していません。無害化したメールには署名は付けられません）"
	case r == calendarReason:
		return "予定表や連絡先のファイルで、開くプログラムが読む形（折り返された行、埋め込みファイル）ではリンクや中身を検査できないため"
	case r == calendarSummaryReason:
		return "予定表のファイルで、開くプログラムが読む形（折り返された行、埋め込みファイル）ではリンクや中身を検査できないため（ファイルは届けず、件名・日時・場所・主催者を本文に記載しています）"
	case strings.Contains(r, "macros"):
		return "マクロを含む文書のため"
	case strings.HasPrefix(r, linksReason):
		return jpLinksReason(strings.TrimPrefix(r, linksReason))
	case strings.HasPrefix(r, opensFileReason):
		return jpOpensFileReason(strings.TrimPrefix(r, opensFileReason))
	case strings.HasPrefix(r, "document could not"):
		return "文書を検査しきれないため"
	case strings.Contains(r, "active or embedded"):
		return "スクリプトや埋め込みファイルを含む文書のため"
	case strings.Contains(r, "markup"):
		return "HTMLなどスクリプトを含みうる形式のため"
	case strings.Contains(r, "needs inspection"):
		return "中身を確認できない形式のため"
	case strings.Contains(r, "inspected"):
		return "圧縮ファイルを検査しきれないため"
	case strings.Contains(r, "encoded file"):
		return "符号化ファイルを含むため"
	case strings.HasPrefix(r, "text file cannot be checked"), strings.HasPrefix(r, "spreadsheet file is not text"):
		return "リンクや数式を検査できないテキストファイルのため"
	case r == formulaEntryReason:
		return "圧縮ファイル内の表計算データ（CSV・TSV・SYLK）に、表計算ソフトで開くと数式として実行される欄があるため"
	case r == linkedContentReason:
		return "開いたときや再計算のときに、文書の外（ファイル・共有フォルダ・Web・データベース・他のプログラム）から内容を読み込む指定を含む文書のため"
	case r == escapingEntryReason:
		return "圧縮ファイル内に、展開先のフォルダの外に書き込まれる名前（絶対パスや ..）のファイルがあるため"
	case r == runningFormulaReason:
		return "開くと他のプログラムを動かしたり、Webや共有フォルダ、他のブックからデータを取り込んだりする数式（DDE、WEBSERVICEなど）を含むブックのため"
	case r == linkEntryReason:
		return "圧縮ファイル内にリンク（シンボリックリンク・ハードリンク）があり、展開すると展開先のフォルダの外に書き込まれるおそれがあるため"
	case r == misnamedEntryReason:
		return "圧縮ファイル内に、拡張子と中身の形式が一致しないファイルがあるため"
	case strings.HasPrefix(r, unfitReason):
		return "ファイル名の拡張子と中身の形式が一致しないため"
	case strings.HasPrefix(r, tooLargeReason):
		return "許可されたサイズ（" + strings.TrimSuffix(strings.TrimPrefix(r, tooLargeReason), ")") + "）を超えるため"
	}
	if r == lockdownReason {
		return "緊急時対応中は、すべての添付ファイルを削除しているため"
	}
	return "ポリシーで許可されていない種類のため"
}

// jpLinksReason says which link a PDF was removed for: what, from the
// part's reason, is one of the classifier's (filetype's pdfLink…).
func jpLinksReason(what string) string {
	switch {
	case strings.HasPrefix(what, "a network share"):
		return "共有フォルダへのリンク（UNCパス）を含む文書のため"
	case strings.HasPrefix(what, "a file (file:"):
		return "ファイルへのリンク（file URL）を含む文書のため"
	case strings.HasPrefix(what, "a file"):
		return "ファイルへのリンク（ドライブのパス）を含む文書のため"
	case strings.HasPrefix(what, "a relative target"):
		return "相対指定のリンク（ファイルとして開かれる）を含む文書のため"
	case strings.HasPrefix(what, "a mail address attaching"):
		return "ファイルを添付させるメールのリンク（mailtoのattach指定）を含む文書のため"
	case strings.HasPrefix(what, "a program ("):
		// Without its colon: the notice's link rewriting would mark it.
		scheme := strings.TrimSuffix(strings.TrimPrefix(what, "a program ("), ":)")
		if scheme == "other schemes)" {
			scheme = "その他のスキーム"
		}
		return "他のプログラムを開くリンク（" + scheme + "）を含む文書のため"
	}
	return "ファイルや共有フォルダなどへのリンクを含む文書のため"
}

// jpOpensFileReason says what in a PDF opens another file: what, from
// the part's reason, is one keepBlocker names.
func jpOpensFileReason(what string) string {
	switch strings.TrimSuffix(what, ")") {
	case "external stream data":
		return "外部のファイルからデータを読み込む指定（外部ストリーム）を含む文書のため"
	case "reference XObject":
		return "他のPDFのページを表示する指定（参照XObject）を含む文書のため"
	case "remote go-to action":
		return "他のPDFを開く指定（リモートGoTo）を含む文書のため"
	case "import data action":
		return "他のファイルからフォームのデータを読み込む指定（ImportData）を含む文書のため"
	case "thread action":
		return "他のファイルの記事を開く指定（スレッド）を含む文書のため"
	case "movie or sound":
		return "ファイルを再生する指定（ムービー・サウンド）を含む文書のため"
	}
	return "他のファイルを開く指定を含む文書のため"
}

func humanSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}

// cleanID keeps an id to characters safe in a header and in text.
func cleanID(id string) string {
	if len(id) <= 128 && isIDClean(id) {
		return id
	}
	var b strings.Builder
	for _, r := range id {
		if idChar(r) {
			b.WriteRune(r)
		}
		if b.Len() >= 128 {
			break
		}
	}
	return b.String()
}

// isIDClean reports an id cleanID keeps as it is (no copy).
func isIDClean(id string) bool {
	for i := 0; i < len(id); i++ {
		if !idChar(rune(id[i])) {
			return false
		}
	}
	return true
}

// idChar is a character an id keeps: printable ASCII but the quote,
// backslash and parentheses (safe in a header and in text).
func idChar(r rune) bool {
	return r > ' ' && r < 0x7f && r != '"' && r != '\\' && r != '(' && r != ')'
}

// cleanFilename makes a filename safe to show and to write: the last path
// component only, no control, bidirectional or zero-width characters, no
// characters Windows refuses, no leading or trailing dots and spaces, at
// most 150 characters with the extension kept.
func cleanFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == utf8.RuneError, r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		case isBidiControl(r), r >= 0x200B && r <= 0x200D, r == 0x2060, r == 0xFEFF:
		case strings.ContainsRune(`<>:"|?*`, r):
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.Trim(b.String(), " .\t")
	if r := []rune(name); len(r) > 150 {
		ext := []rune(extension(name))
		if len(ext) > 20 {
			ext = nil
		}
		name = string(r[:150-len(ext)]) + string(ext)
	}
	return name
}

// Where links were neutralised, as bits: the Subject, other header
// fields (a display name, say), the body text.
const (
	inSubject = 1 << iota
	inHeader
	inBody
)

// The notice's line for each place links were neutralised in, whole:
// built once, not per message.
var linksDefangedLines, linksRemovedLines = linksLines()

func linksLines() (defanged, removed [8]string) {
	for w := 1; w < 8; w++ {
		var names []string
		for _, p := range []struct {
			bit  int
			name string
		}{{inSubject, "件名"}, {inHeader, "ヘッダー"}, {inBody, "本文"}} {
			if w&p.bit != 0 {
				names = append(names, p.name)
			}
		}
		where := names[0]
		switch len(names) {
		case 2:
			where += "と" + names[1]
		case 3:
			where = strings.Join(names, "・")
		}
		defanged[w] = "・" + where + "中のURLはクリックできない形（hxxps://example[.]com）に変えています。"
		removed[w] = "・" + where + "中のURLを削除しました。"
	}
	return defanged, removed
}

// linksWhere tells where links were neutralised, as in* bits.
func (s *sanitizer) linksWhere() int {
	w := 0
	if s.subjectLinks {
		w |= inSubject
	}
	if s.headerLinks {
		w |= inHeader
	}
	if s.bodyLinks || w == 0 {
		w |= inBody
	}
	return w
}

// onlyLimits reports whether every part dropped as ambiguous was dropped
// for a limit (nesting depth, part count, header size), nothing else.
func (s *sanitizer) onlyLimits() bool {
	for _, l := range s.leaves {
		for _, k := range l.ambig {
			switch k {
			case "mime-depth-exceeded", "too-many-parts", "header-too-large":
			default:
				return false
			}
		}
	}
	return true
}
